import type Database from 'better-sqlite3';
import type {
  FallbackEvent,
  FallbackFilter,
  IdempotencyKey,
  IdempotentStart,
  InterviewRecord,
  Page,
  SimulationRecord,
  Store,
  TransitionRecord,
} from './records.js';
import { decodeCursor, decodeKeyCursor, encodeCursor, encodeKeyCursor } from './cursor.js';
import { collectPage } from './pages.js';
import { fallbackWhere } from './fallback-query.js';
import { openDatabase, type OpenedDatabase, type SqliteStoreOptions } from './open-database.js';
import { checkFileSystem, type FileIdentity, type WriteProbe } from './storage-check.js';
import { asStorageError, isBusy, sqliteState, type StorageStatus } from './storage-errors.js';
import { retryWhileBusy } from './busy-retry.js';
import { DeferredWrites } from './deferred-writes.js';
import { WalCheckpointer } from './wal-checkpointer.js';

export type { SqliteStoreOptions } from './open-database.js';

type Row = { seq: number; body: string };
const bySeq = (r: Row): string => encodeCursor(r.seq);

/**
 * How long a write the caller waits for may retry another connection's lock, off the event loop.
 * An interview's provider call is already paid, so it gets longer than a simulation edit.
 */
export const INTERVIEW_WRITE_BUDGET_MS = 2_000;
export const SIMULATION_WRITE_BUDGET_MS = 1_000;
/** At shutdown, the deferred writes may wait this long for a lock (blocking is fine then). */
const CLOSE_BUSY_TIMEOUT_MS = 2_000;

export class SqliteStore implements Store {
  private readonly db: Database.Database;
  private readonly file: string;
  private readonly identity: FileIdentity;
  private readonly probe: WriteProbe;
  private readonly insertInterview: Database.Statement;
  private readonly insertEvent: Database.Statement;
  private readonly writeInterview: Database.Transaction<
    (i: InterviewRecord, e: FallbackEvent | null, key: IdempotencyKey | null) => boolean
  >;
  private readonly transitions: DeferredWrites<TransitionRecord>;
  private readonly checkpointer: WalCheckpointer;

  private constructor(opened: OpenedDatabase, options: SqliteStoreOptions) {
    this.db = opened.db;
    this.file = opened.file;
    this.identity = opened.identity;
    this.probe = opened.probe;
    this.insertInterview = this.db.prepare(
      'INSERT OR IGNORE INTO interviews (id, idempotency_key, request_fingerprint, at, body) VALUES (?, ?, ?, ?, ?)',
    );
    this.insertEvent = this.db.prepare(
      `INSERT INTO fallback_events (id, interview_id, at, simulation_id, primary_model, chosen_model, reason, body)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    // One transaction: the event exists exactly when its interview does, and a reused key writes neither.
    this.writeInterview = this.db.transaction(
      (i: InterviewRecord, e: FallbackEvent | null, key: IdempotencyKey | null) => {
        const inserted =
          this.insertInterview.run(i.interviewId, key?.key ?? null, key?.fingerprint ?? null, i.at, JSON.stringify(i))
            .changes === 1;
        if (inserted && e) {
          this.insertEvent.run(
            e.id,
            e.interviewId,
            e.at,
            e.simulationId,
            e.primary,
            e.chosen,
            e.reason,
            JSON.stringify(e),
          );
        }
        return inserted;
      },
    );
    const insertTransition = this.db.prepare('INSERT INTO health_transitions (model_id, at, body) VALUES (?, ?, ?)');
    const writeTransitions = this.db.transaction((items: readonly TransitionRecord[]) => {
      for (const t of items) insertTransition.run(t.modelId, t.at, JSON.stringify(t));
    });
    this.transitions = new DeferredWrites(
      (items) => writeTransitions.immediate(items),
      options.onDeferredWrites ?? (() => undefined),
    );
    this.checkpointer = WalCheckpointer.start(this.db, this.file, options.onCheckpointTrouble ?? (() => undefined));
  }

  /** Opens the database in `dataDir`; a StorageStartupError names the path, the cause and what to do. */
  static openInDir(dataDir: string, options?: SqliteStoreOptions): SqliteStore {
    return new SqliteStore(openDatabase(dataDir, options), options ?? {});
  }

  /** Whether a write would be recorded now, from the file system's word: no lock is taken or waited on. */
  status(): StorageStatus {
    if (!this.db.open)
      return { ok: false, state: 'closed', code: 'storage_unavailable', reason: 'the store is closed' };
    const fileSystem = checkFileSystem(this.file, this.identity, this.probe);
    return fileSystem.ok ? this.lockStatus() : fileSystem;
  }

  /** Takes the write lock and lets it go at once; with busy_timeout 0 another holder makes this fail, not wait. */
  private lockStatus(): StorageStatus {
    try {
      this.db.exec('BEGIN IMMEDIATE');
      this.db.exec('ROLLBACK');
      return { ok: true, state: 'ok', code: null, reason: 'writable' };
    } catch (err) {
      if (isBusy(err))
        return {
          ok: false,
          state: 'busy',
          code: 'storage_busy',
          reason: `another connection holds the write lock on ${this.file} (an sqlite3 shell or a backup?)`,
        };
      const storage = asStorageError(err, this.file);
      return {
        ok: false,
        state: sqliteState(err),
        code: 'storage_unavailable',
        reason: storage instanceof Error ? storage.message : String(err),
      };
    }
  }

  recordInterview(
    interview: InterviewRecord,
    event: FallbackEvent | null,
    idempotencyKey: IdempotencyKey | null,
  ): Promise<boolean> {
    return retryWhileBusy(
      () => this.writeInterview.immediate(interview, event, idempotencyKey),
      INTERVIEW_WRITE_BUDGET_MS,
      this.file,
    );
  }

  getInterview(id: string): InterviewRecord | null {
    return this.one<InterviewRecord>('SELECT body FROM interviews WHERE id = ?', id);
  }

  getInterviewByIdempotencyKey(key: string): IdempotentStart | null {
    const row = this.guard(
      () =>
        this.db.prepare('SELECT body, request_fingerprint FROM interviews WHERE idempotency_key = ?').get(key) as
          { body: string; request_fingerprint: string | null } | undefined,
    );
    return row ? { record: JSON.parse(row.body) as InterviewRecord, fingerprint: row.request_fingerprint } : null;
  }

  getFallbackEvent(id: string): FallbackEvent | null {
    return this.one<FallbackEvent>('SELECT body FROM fallback_events WHERE id = ?', id);
  }

  listFallbackEvents(f: FallbackFilter): Page<FallbackEvent> {
    const where = fallbackWhere(f);
    if (where.empty) return { items: [], nextCursor: null };
    const sql = `SELECT seq, body FROM fallback_events ${where.sql} ORDER BY seq DESC LIMIT ?`;
    return this.guard(() =>
      collectPage<Row, FallbackEvent>(
        this.db.prepare(sql).iterate(...where.args, f.limit + 1) as IterableIterator<Row>,
        f.limit,
        bySeq,
      ),
    );
  }

  /** Never throws and never waits: written now, or kept in order and written when the store can. */
  recordTransition(t: TransitionRecord): void {
    this.transitions.push(t);
  }

  listTransitions(modelId: string, limit: number, cursor?: string): Page<TransitionRecord> {
    const before = cursor ? decodeCursor(cursor) : null;
    return this.guard(() => {
      const rows = this.db
        .prepare('SELECT seq, body FROM health_transitions WHERE model_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?')
        .iterate(modelId, before ?? Number.MAX_SAFE_INTEGER, limit + 1) as IterableIterator<Row>;
      return collectPage<Row, TransitionRecord>(rows, limit, bySeq);
    });
  }

  putSimulation(
    sim: Omit<SimulationRecord, 'createdAt' | 'updatedAt'>,
    now: string,
  ): Promise<{ record: SimulationRecord; created: boolean }> {
    const upsert = this.db.transaction(() => {
      const existing = this.getSimulation(sim.id);
      const record: SimulationRecord = { ...sim, createdAt: existing?.createdAt ?? now, updatedAt: now };
      this.db
        .prepare('INSERT INTO simulations (id, body) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET body = excluded.body')
        .run(sim.id, JSON.stringify(record));
      return { record, created: existing === null };
    });
    return retryWhileBusy(() => upsert.immediate(), SIMULATION_WRITE_BUDGET_MS, this.file);
  }

  getSimulation(id: string): SimulationRecord | null {
    return this.one<SimulationRecord>('SELECT body FROM simulations WHERE id = ?', id);
  }

  /** By id; the cursor is the last id of the previous page, so edits between pages skip or repeat nothing. */
  listSimulations(limit: number, cursor?: string): Page<SimulationRecord> {
    const after = cursor ? decodeKeyCursor(cursor) : null;
    return this.guard(() => {
      const rows = this.db
        .prepare('SELECT id, body FROM simulations WHERE id > ? ORDER BY id LIMIT ?')
        .iterate(after ?? '', limit + 1) as IterableIterator<{ id: string; body: string }>;
      return collectPage<{ id: string; body: string }, SimulationRecord>(rows, limit, (r) => encodeKeyCursor(r.id));
    });
  }

  deleteSimulation(id: string): Promise<boolean> {
    const remove = this.db.prepare('DELETE FROM simulations WHERE id = ?');
    return retryWhileBusy(() => remove.run(id).changes === 1, SIMULATION_WRITE_BUDGET_MS, this.file);
  }

  saveHealthState(modelId: string, savedAt: string, body: string): void {
    this.db
      .prepare(
        'INSERT INTO health_state (model_id, saved_at, body) VALUES (?, ?, ?) ON CONFLICT(model_id) DO UPDATE SET saved_at = excluded.saved_at, body = excluded.body',
      )
      .run(modelId, savedAt, body);
  }

  loadHealthStates(): Array<{ modelId: string; savedAt: string; body: string }> {
    return this.db.prepare('SELECT model_id AS modelId, saved_at AS savedAt, body FROM health_state').all() as Array<{
      modelId: string;
      savedAt: string;
      body: string;
    }>;
  }

  /** Writes what was deferred, waiting for a lock now (nothing else is served), then closes. */
  close(): void {
    if (!this.db.open) return;
    this.transitions.stop();
    this.db.pragma(`busy_timeout = ${CLOSE_BUSY_TIMEOUT_MS}`);
    this.transitions.flush();
    this.transitions.stop();
    this.checkpointer.stop();
    this.db.close();
    this.probe.close();
  }

  private one<T>(sql: string, arg: string): T | null {
    const row = this.guard(() => this.db.prepare(sql).get(arg) as { body: string } | undefined);
    return row ? (JSON.parse(row.body) as T) : null;
  }

  /** SQLite's errors leave the store as StorageErrors that say what is wrong with which file. */
  private guard<T>(work: () => T): T {
    try {
      return work();
    } catch (err) {
      throw asStorageError(err, this.file);
    }
  }
}

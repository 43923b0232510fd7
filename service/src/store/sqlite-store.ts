import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type {
  FallbackEvent,
  FallbackFilter,
  InterviewRecord,
  Page,
  SimulationRecord,
  Store,
  TransitionRecord,
} from './records.js';
import { decodeCursor, encodeCursor } from './cursor.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS interviews (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  idempotency_key TEXT UNIQUE,
  at TEXT NOT NULL,
  body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS fallback_events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  interview_id TEXT NOT NULL UNIQUE,
  at TEXT NOT NULL,
  simulation_id TEXT,
  primary_model TEXT NOT NULL,
  chosen_model TEXT NOT NULL,
  reason TEXT NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS fallback_events_at ON fallback_events (at);
CREATE TABLE IF NOT EXISTS health_transitions (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  model_id TEXT NOT NULL,
  at TEXT NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS health_transitions_model ON health_transitions (model_id, seq);
CREATE TABLE IF NOT EXISTS simulations (
  id TEXT PRIMARY KEY,
  body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS health_state (
  model_id TEXT PRIMARY KEY,
  saved_at TEXT NOT NULL,
  body TEXT NOT NULL
);
`;

type Row = { seq: number; body: string };

function page<T>(rows: Row[], limit: number): Page<T> {
  const items = rows.slice(0, limit).map((r) => JSON.parse(r.body) as T);
  const last = rows[limit - 1];
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(last.seq) : null };
}

export interface SqliteStoreOptions {
  /** `FULL` fsyncs every commit (survives power loss); `NORMAL` survives a process crash only. */
  synchronous?: 'FULL' | 'NORMAL';
}

export class SqliteStore implements Store {
  private readonly db: Database.Database;
  private readonly insertInterview: Database.Statement;
  private readonly insertEvent: Database.Statement;
  private readonly writeInterview: (i: InterviewRecord, e: FallbackEvent | null, key: string | null) => boolean;

  constructor(file: string, options: SqliteStoreOptions = {}) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${options.synchronous ?? 'NORMAL'}`);
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    this.insertInterview = this.db.prepare(
      'INSERT OR IGNORE INTO interviews (id, idempotency_key, at, body) VALUES (?, ?, ?, ?)',
    );
    this.insertEvent = this.db.prepare(
      `INSERT INTO fallback_events (id, interview_id, at, simulation_id, primary_model, chosen_model, reason, body)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    // One transaction: the event exists exactly when its interview does, and a reused key writes neither.
    this.writeInterview = this.db.transaction((i: InterviewRecord, e: FallbackEvent | null, key: string | null) => {
      const inserted = this.insertInterview.run(i.interviewId, key, i.at, JSON.stringify(i)).changes === 1;
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
    });
  }

  static openInDir(dataDir: string, options?: SqliteStoreOptions): SqliteStore {
    mkdirSync(dataDir, { recursive: true });
    return new SqliteStore(join(dataDir, 'modelwatch.db'), options);
  }

  recordInterview(interview: InterviewRecord, event: FallbackEvent | null, idempotencyKey: string | null): boolean {
    return this.writeInterview(interview, event, idempotencyKey);
  }

  getInterview(id: string): InterviewRecord | null {
    return this.one<InterviewRecord>('SELECT body FROM interviews WHERE id = ?', id);
  }

  getInterviewByIdempotencyKey(key: string): InterviewRecord | null {
    return this.one<InterviewRecord>('SELECT body FROM interviews WHERE idempotency_key = ?', key);
  }

  getFallbackEvent(id: string): FallbackEvent | null {
    return this.one<FallbackEvent>('SELECT body FROM fallback_events WHERE id = ?', id);
  }

  listFallbackEvents(f: FallbackFilter): Page<FallbackEvent> {
    const where: string[] = [];
    const args: unknown[] = [];
    const cursor = f.cursor ? decodeCursor(f.cursor) : null;
    if (cursor !== null) {
      where.push('seq < ?');
      args.push(cursor);
    }
    if (f.model) {
      where.push('(primary_model = ? OR chosen_model = ?)');
      args.push(f.model, f.model);
    }
    if (f.simulationId) {
      where.push('simulation_id = ?');
      args.push(f.simulationId);
    }
    if (f.reason) {
      where.push('reason = ?');
      args.push(f.reason);
    }
    if (f.since) {
      where.push('at >= ?');
      args.push(f.since);
    }
    if (f.until) {
      where.push('at < ?');
      args.push(f.until);
    }
    const sql = `SELECT seq, body FROM fallback_events ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
                 ORDER BY seq DESC LIMIT ?`;
    return page<FallbackEvent>(this.db.prepare(sql).all(...args, f.limit + 1) as Row[], f.limit);
  }

  recordTransition(t: TransitionRecord): void {
    this.db
      .prepare('INSERT INTO health_transitions (model_id, at, body) VALUES (?, ?, ?)')
      .run(t.modelId, t.at, JSON.stringify(t));
  }

  listTransitions(modelId: string, limit: number, cursor?: string): Page<TransitionRecord> {
    const before = cursor ? decodeCursor(cursor) : null;
    const rows = this.db
      .prepare('SELECT seq, body FROM health_transitions WHERE model_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?')
      .all(modelId, before ?? Number.MAX_SAFE_INTEGER, limit + 1) as Row[];
    return page<TransitionRecord>(rows, limit);
  }

  putSimulation(
    sim: Omit<SimulationRecord, 'createdAt' | 'updatedAt'>,
    now: string,
  ): { record: SimulationRecord; created: boolean } {
    const existing = this.getSimulation(sim.id);
    const record: SimulationRecord = { ...sim, createdAt: existing?.createdAt ?? now, updatedAt: now };
    this.db
      .prepare('INSERT INTO simulations (id, body) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET body = excluded.body')
      .run(sim.id, JSON.stringify(record));
    return { record, created: existing === null };
  }

  getSimulation(id: string): SimulationRecord | null {
    return this.one<SimulationRecord>('SELECT body FROM simulations WHERE id = ?', id);
  }

  listSimulations(): SimulationRecord[] {
    const rows = this.db.prepare('SELECT body FROM simulations ORDER BY id').all() as Row[];
    return rows.map((r) => JSON.parse(r.body) as SimulationRecord);
  }

  deleteSimulation(id: string): boolean {
    return this.db.prepare('DELETE FROM simulations WHERE id = ?').run(id).changes === 1;
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

  close(): void {
    if (this.db.open) this.db.close();
  }

  private one<T>(sql: string, arg: string): T | null {
    const row = this.db.prepare(sql).get(arg) as { body: string } | undefined;
    return row ? (JSON.parse(row.body) as T) : null;
  }
}

import type pg from 'pg';
import type { AsyncStore, StoreCheck } from '../async-store.js';
import { decodeCursor, decodeKeyCursor, encodeCursor, encodeKeyCursor } from '../cursor.js';
import { MAX_PAGE_BYTES } from '../pages.js';
import type {
  FallbackEvent,
  FallbackFilter,
  IdempotencyKey,
  IdempotentStart,
  InterviewRecord,
  Page,
  SimulationRecord,
  TransitionRecord,
} from '../records.js';
import { StorageError } from '../storage-errors.js';
import { ConnectionMonitor, createPool, describeDatabaseUrl, type PoolOptions } from './connection.js';
import { migrate } from './migrations.js';

type BodyRow<T> = { seq: string; body: T };

function page<T>(rows: BodyRow<T>[], limit: number): Page<T> {
  const last = rows[limit - 1];
  return {
    items: rows.slice(0, limit).map((r) => r.body),
    nextCursor: rows.length > limit && last ? encodeCursor(Number(last.seq)) : null,
  };
}

export interface PostgresStoreOptions extends PoolOptions {
  /** How long start-up keeps retrying an unreachable database before it gives up. */
  startupTimeoutMs?: number;
  onAvailability?: (check: StoreCheck) => void;
  onPoolError?: (err: Error) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The shared store for several replicas: the same records as SQLite, in PostgreSQL. */
export class PostgresStore implements AsyncStore {
  /**
   * Transitions are written one after another, in the order they were made: on a pool, two inserts
   * sent back to back can commit in either order, and the history would then read out of order.
   */
  private transitionWrites: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly pool: pg.Pool,
    private readonly monitor: ConnectionMonitor,
  ) {}

  /** Connects (retrying with backoff up to startupTimeoutMs), applies the schema, and starts watching. */
  static async open(opts: PostgresStoreOptions): Promise<PostgresStore> {
    const target = describeDatabaseUrl(opts.url);
    const pool = createPool(opts, opts.onPoolError ?? (() => undefined));
    const deadline = Date.now() + (opts.startupTimeoutMs ?? 30_000);
    for (let delay = 250; ; delay = Math.min(delay * 2, 2_000)) {
      try {
        const client = await pool.connect();
        try {
          await migrate(client);
        } finally {
          client.release();
        }
        break;
      } catch (err) {
        const message = (err as Error).message;
        if (message.startsWith('schema migration') || message.includes('schema version') || Date.now() > deadline) {
          await pool.end().catch(() => undefined);
          throw new Error(`cannot use the PostgreSQL store at ${target}: ${message}`, { cause: err });
        }
        await sleep(delay);
      }
    }
    const monitor = new ConnectionMonitor(pool, target, opts.onAvailability ?? (() => undefined));
    await monitor.check();
    monitor.start();
    return new PostgresStore(pool, monitor);
  }

  /** One statement, so one round trip and atomic: the event is written exactly when its interview is. */
  async recordInterview(i: InterviewRecord, e: FallbackEvent | null, key: IdempotencyKey | null): Promise<boolean> {
    const { rows } = await this.query<{ inserted: string }>(
      `WITH iv AS (
         INSERT INTO interviews (id, idempotency_key, at, body, request_fingerprint) VALUES ($1, $2, $3, $4, $12)
         ON CONFLICT DO NOTHING RETURNING id),
       ev AS (
         INSERT INTO fallback_events (id, interview_id, at, simulation_id, primary_model, chosen_model, reason, body)
         SELECT $5, iv.id, $6, $7, $8, $9, $10, $11 FROM iv WHERE $5::text IS NOT NULL)
       SELECT count(*) AS inserted FROM iv`,
      [
        i.interviewId,
        key?.key ?? null,
        i.at,
        JSON.stringify(i),
        e?.id ?? null,
        e?.at ?? null,
        e?.simulationId ?? null,
        e?.primary ?? null,
        e?.chosen ?? null,
        e?.reason ?? null,
        e ? JSON.stringify(e) : null,
        key?.fingerprint ?? null,
      ],
    );
    return rows[0]?.inserted === '1';
  }

  getInterview(id: string): Promise<InterviewRecord | null> {
    return this.one<InterviewRecord>('SELECT body FROM interviews WHERE id = $1', id);
  }

  async getInterviewByIdempotencyKey(key: string): Promise<IdempotentStart | null> {
    const { rows } = await this.query<{ body: InterviewRecord; request_fingerprint: string | null }>(
      'SELECT body, request_fingerprint FROM interviews WHERE idempotency_key = $1',
      [key],
    );
    return rows[0] ? { record: rows[0].body, fingerprint: rows[0].request_fingerprint } : null;
  }

  getFallbackEvent(id: string): Promise<FallbackEvent | null> {
    return this.one<FallbackEvent>('SELECT body FROM fallback_events WHERE id = $1', id);
  }

  async listFallbackEvents(f: FallbackFilter): Promise<Page<FallbackEvent>> {
    const where: string[] = [];
    const args: unknown[] = [];
    const add = (sql: (n: number) => string, value: unknown) => {
      args.push(value);
      where.push(sql(args.length));
    };
    const cursor = f.cursor ? decodeCursor(f.cursor) : null;
    if (cursor !== null) add((n) => `seq < $${n}`, cursor);
    if (f.model) add((n) => `(primary_model = $${n} OR chosen_model = $${n})`, f.model);
    if (f.simulationId) add((n) => `simulation_id = $${n}`, f.simulationId);
    if (f.reason) add((n) => `reason = $${n}`, f.reason);
    // Instants compared as instants, in milliseconds since the epoch, whatever their year.
    if (f.sinceMs !== undefined) add((n) => `at >= to_timestamp($${n}::float8 / 1000)`, f.sinceMs);
    if (f.untilMs !== undefined) add((n) => `at < to_timestamp($${n}::float8 / 1000)`, f.untilMs);
    args.push(f.limit + 1);
    const { rows } = await this.query<BodyRow<FallbackEvent>>(
      `SELECT seq, body FROM fallback_events ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY seq DESC LIMIT $${args.length}`,
      args,
    );
    return page(rows, f.limit);
  }

  recordTransition(t: TransitionRecord): Promise<void> {
    const write = this.transitionWrites.then(async () => {
      await this.query('INSERT INTO health_transitions (model_id, at, body) VALUES ($1, $2, $3)', [
        t.modelId,
        t.at,
        JSON.stringify(t),
      ]);
    });
    // The next write waits for this one to end, whether it was stored or failed.
    this.transitionWrites = write.catch(() => undefined);
    return write;
  }

  async listTransitions(modelId: string, limit: number, cursor?: string): Promise<Page<TransitionRecord>> {
    const before = cursor ? decodeCursor(cursor) : null;
    const { rows } = await this.query<BodyRow<TransitionRecord>>(
      'SELECT seq, body FROM health_transitions WHERE model_id = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3',
      [modelId, before ?? Number.MAX_SAFE_INTEGER, limit + 1],
    );
    return page(rows, limit);
  }

  /** One upsert: two replicas putting the same simulation at once keep one createdAt. */
  async putSimulation(
    sim: Omit<SimulationRecord, 'createdAt' | 'updatedAt'>,
    now: string,
  ): Promise<{ record: SimulationRecord; created: boolean }> {
    const { rows } = await this.query<{ created_at: string; created: boolean }>(
      `INSERT INTO simulations (id, created_at, updated_at, body) VALUES ($1, $2, $2, $3)
       ON CONFLICT (id) DO UPDATE SET updated_at = excluded.updated_at, body = excluded.body
       RETURNING created_at, (xmax = 0) AS created`,
      [sim.id, now, JSON.stringify(sim)],
    );
    const row = rows[0]!;
    return { record: { ...sim, createdAt: row.created_at, updatedAt: now }, created: row.created };
  }

  async getSimulation(id: string): Promise<SimulationRecord | null> {
    const { rows } = await this.query<SimulationRow>(
      'SELECT body, created_at, updated_at FROM simulations WHERE id = $1',
      [id],
    );
    return rows[0] ? simulationOf(rows[0]) : null;
  }

  /** By id, at most `limit` or about MAX_PAGE_BYTES of simulations, whichever comes first. */
  async listSimulations(limit: number, cursor?: string): Promise<Page<SimulationRecord>> {
    const after = cursor ? decodeKeyCursor(cursor) : null;
    const { rows } = await this.query<SimulationRow & { id: string; bytes: number }>(
      `SELECT id, body, created_at, updated_at, octet_length(body::text) AS bytes FROM simulations
       WHERE $1::text IS NULL OR id > $1 ORDER BY id LIMIT $2`,
      [after, limit + 1],
    );
    const items: SimulationRecord[] = [];
    let bytes = 0;
    for (const row of rows) {
      if (items.length === limit || (items.length > 0 && bytes + row.bytes > MAX_PAGE_BYTES))
        return { items, nextCursor: encodeKeyCursor(items.at(-1)!.id) };
      items.push(simulationOf(row));
      bytes += row.bytes;
    }
    return { items, nextCursor: null };
  }

  async deleteSimulation(id: string): Promise<boolean> {
    const { rowCount } = await this.query('DELETE FROM simulations WHERE id = $1', [id]);
    return rowCount === 1;
  }

  async saveHealthState(modelId: string, savedAt: string, body: string): Promise<void> {
    await this.query(
      `INSERT INTO health_state (model_id, saved_at, body) VALUES ($1, $2, $3)
       ON CONFLICT (model_id) DO UPDATE SET saved_at = excluded.saved_at, body = excluded.body`,
      [modelId, savedAt, body],
    );
  }

  async loadHealthStates(): Promise<Array<{ modelId: string; savedAt: string; body: string }>> {
    const { rows } = await this.query<{ model_id: string; saved_at: string; body: string }>(
      'SELECT model_id, saved_at, body FROM health_state',
      [],
    );
    return rows.map((r) => ({
      modelId: r.model_id,
      savedAt: r.saved_at,
      body: r.body,
    }));
  }

  status(): StoreCheck {
    return this.monitor.status();
  }

  check(): Promise<StoreCheck> {
    return this.monitor.check();
  }

  async close(): Promise<void> {
    this.monitor.stop();
    await this.pool.end();
  }

  /** Every query of the store: a failure makes the monitor look at the connection at once. */
  async query<R extends pg.QueryResultRow>(sql: string, args: unknown[]): Promise<pg.QueryResult<R>> {
    try {
      return await this.pool.query<R>(sql, args);
    } catch (err) {
      this.monitor.suspect();
      // A broken connection is the database's outage, answered as such; a query error is a bug, kept as is.
      if (isConnectionError(err))
        throw new StorageError('storage_unavailable', `the PostgreSQL store is unavailable: ${(err as Error).message}`);
      throw err;
    }
  }

  private async one<T>(sql: string, arg: string): Promise<T | null> {
    const { rows } = await this.query<{ body: T }>(sql, [arg]);
    return rows[0]?.body ?? null;
  }
}

type SimulationRow = {
  body: Omit<SimulationRecord, 'createdAt' | 'updatedAt'>;
  created_at: string;
  updated_at: string;
};

const simulationOf = (r: SimulationRow): SimulationRecord => ({
  ...r.body,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** Errors of reaching the server rather than of the statement: socket errors, timeouts, shutdowns. */
function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string')
    return /^(08|57P0[1-3]|53300)/.test(code) || /^E(CONNREFUSED|CONNRESET|PIPE|HOSTUNREACH|TIMEDOUT)$/.test(code);
  return /timeout|terminat|Connection|ECONN/i.test(err instanceof Error ? err.message : String(err));
}

import pg from 'pg';
import type { StoreCheck } from '../async-store.js';

/** Where the store connects, for logs and messages: user, host, port and database, never the password. */
export function describeDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.username ? `${decodeURIComponent(u.username)}@` : ''}${u.host}${u.pathname}`;
  } catch {
    return 'an unparseable database URL';
  }
}

export interface PoolOptions {
  url: string;
  /** Connections this replica may hold; every replica adds this many to the server's total. */
  max?: number;
  /** Fail a query that cannot get a connection within this, rather than queue behind an outage. */
  connectTimeoutMs?: number;
  statementTimeoutMs?: number;
  applicationName?: string;
}

export function createPool(opts: PoolOptions, onError: (err: Error) => void): pg.Pool {
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.max ?? 10,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 2_000,
    idleTimeoutMillis: 30_000,
    statement_timeout: opts.statementTimeoutMs ?? 5_000,
    query_timeout: (opts.statementTimeoutMs ?? 5_000) + 1_000,
    application_name: opts.applicationName ?? 'modelwatch',
  });
  // An idle connection dropped by the server (restart, failover) must not crash the process: log it;
  // the pool opens a new one for the next query.
  pool.on('error', onError);
  return pool;
}

/**
 * Watches one database: a round trip every `everyMs` while it answers, then backing off (doubling
 * up to `maxBackoffMs`) while it does not. Starts read `status()` without a round trip.
 */
export class ConnectionMonitor {
  private state: StoreCheck = {
    ok: false,
    state: 'unreachable',
    code: 'storage_unavailable',
    reason: 'not checked yet',
  };
  private timer: NodeJS.Timeout | null = null;
  private delayMs: number;
  private stopped = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly target: string,
    private readonly onChange: (check: StoreCheck) => void,
    private readonly everyMs = 500,
    private readonly maxBackoffMs = 2_000,
  ) {
    this.delayMs = everyMs;
  }

  status(): StoreCheck {
    return this.state;
  }

  async check(): Promise<StoreCheck> {
    try {
      await this.pool.query('SELECT 1');
      this.set({ ok: true, state: 'ok', code: null, reason: `PostgreSQL at ${this.target} answers` });
    } catch (err) {
      this.set({
        ok: false,
        state: 'unreachable',
        code: 'storage_unavailable',
        reason: `PostgreSQL at ${this.target} is unreachable: ${(err as Error).message}`,
      });
    }
    return this.state;
  }

  /** A query failed for a reason that may be the connection: look again now. */
  suspect(): void {
    void this.check();
  }

  start(): void {
    const loop = async () => {
      if (this.stopped) return;
      const check = await this.check();
      this.delayMs = check.ok ? this.everyMs : Math.min(this.delayMs * 2, this.maxBackoffMs);
      if (!this.stopped) this.timer = setTimeout(() => void loop(), this.delayMs);
    };
    void loop();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private set(next: StoreCheck): void {
    const changed = next.ok !== this.state.ok;
    this.state = next;
    if (changed) this.onChange(next);
  }
}

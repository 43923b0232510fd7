import pg from 'pg';
import type { Sample } from '../../domain/health/index.js';

/**
 * Health evidence shared by every replica. Each sample a replica observes is inserted into
 * `health_samples`; a trigger sends the row with NOTIFY at commit, so every listening replica gets
 * it within milliseconds. A listener that lost its connection reconnects with backoff and reads
 * what it missed from the table; sequence numbers already applied are skipped.
 */
export interface SharedSample {
  seq: number;
  modelId: string;
  replicaId: string;
  sample: Sample;
}

export interface SampleFeedOptions {
  url: string;
  replicaId: string;
  /** On (re)connect, samples this recent are read back from the table (the health window). */
  catchUpMs: number;
  /** Called for every sample another replica observed, once each, in commit order while connected. */
  onSample: (s: SharedSample) => void;
  onConnected?: (connected: boolean, reason: string) => void;
  maxBackoffMs?: number;
}

const CHANNEL = 'modelwatch_samples';
const SEEN_CAP = 50_000;

export class SampleFeed {
  private client: pg.Client | null = null;
  private stopped = false;
  private backoffMs = 250;
  private readonly seen = new Set<number>();
  private retry: NodeJS.Timeout | null = null;

  constructor(
    private readonly pool: pg.Pool,
    private readonly opts: SampleFeedOptions,
  ) {}

  /** Stored before it is applied anywhere else: the sample is shared once the promise resolves. */
  async publish(modelId: string, sample: Sample): Promise<void> {
    const { rows } = await this.pool.query<{ seq: string }>(
      'INSERT INTO health_samples (model_id, replica_id, body) VALUES ($1, $2, $3) RETURNING seq',
      [modelId, this.opts.replicaId, JSON.stringify(sample)],
    );
    if (rows[0]) this.markSeen(Number(rows[0].seq));
  }

  async start(): Promise<void> {
    await this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    await this.client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({ connectionString: this.opts.url, application_name: 'modelwatch-samples' });
    client.on('error', () => this.lost(client, 'connection error'));
    client.on('end', () => this.lost(client, 'connection ended'));
    client.on('notification', (n) => {
      if (n.channel !== CHANNEL || !n.payload) return;
      const shared = JSON.parse(n.payload) as Partial<SharedSample> & Omit<SharedSample, 'sample'>;
      if (shared.sample) this.deliver(shared as SharedSample);
      else void this.readBack(shared.seq);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
      this.client = client;
      // Listening first, then reading back: nothing committed in between can fall through the gap.
      await this.catchUp(client);
      this.backoffMs = 250;
      this.opts.onConnected?.(true, 'listening');
    } catch (err) {
      await client.end().catch(() => undefined);
      this.lost(client, (err as Error).message);
    }
  }

  private lost(client: pg.Client, reason: string): void {
    if (this.client !== null && this.client !== client) return;
    if (this.stopped || this.retry) return;
    this.client = null;
    this.opts.onConnected?.(false, reason);
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.opts.maxBackoffMs ?? 5_000);
    this.retry = setTimeout(() => {
      this.retry = null;
      void this.connect();
    }, delay);
  }

  private async catchUp(client: pg.Client): Promise<void> {
    const { rows } = await client.query<{ seq: string; model_id: string; replica_id: string; body: Sample }>(
      `SELECT seq, model_id, replica_id, body FROM health_samples
       WHERE at > now() - $1::interval ORDER BY seq`,
      [`${Math.round(this.opts.catchUpMs)} milliseconds`],
    );
    for (const r of rows)
      this.deliver({ seq: Number(r.seq), modelId: r.model_id, replicaId: r.replica_id, sample: r.body });
  }

  /** A sample too large for a notification: read from the table (skipped if it was pruned meanwhile). */
  private async readBack(seq: number): Promise<void> {
    try {
      const { rows } = await this.pool.query<{ model_id: string; replica_id: string; body: Sample }>(
        'SELECT model_id, replica_id, body FROM health_samples WHERE seq = $1',
        [seq],
      );
      const r = rows[0];
      if (r) this.deliver({ seq, modelId: r.model_id, replicaId: r.replica_id, sample: r.body });
    } catch {
      // The database went away: the catch-up after the reconnect reads it.
    }
  }

  private deliver(s: SharedSample): void {
    if (this.seen.has(s.seq)) return;
    this.markSeen(s.seq);
    if (s.replicaId !== this.opts.replicaId) this.opts.onSample(s);
  }

  private markSeen(seq: number): void {
    this.seen.add(seq);
    if (this.seen.size > SEEN_CAP) {
      // Oldest first (insertion order): a sample that old is outside any catch-up window.
      const drop = this.seen.size - SEEN_CAP / 2;
      let n = 0;
      for (const old of this.seen) {
        if (n++ >= drop) break;
        this.seen.delete(old);
      }
    }
  }
}

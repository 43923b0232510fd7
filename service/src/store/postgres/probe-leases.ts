import type pg from 'pg';
import { assignOwners } from './probe-owners.js';

export interface ProbeLeaseOptions {
  replicaId: string;
  /** The models to share out, asked at every round: a config reload adds and removes models at run time. */
  models: () => readonly string[];
  /** A lease, and a replica's heartbeat, lapse after this without renewal. */
  ttlMs: number;
  /** A round (heartbeat, release, take) every this often; a fraction of ttlMs. */
  everyMs: number;
  /** Models with a probe under way here: never released mid-probe. */
  busy: (modelId: string) => boolean;
  onError?: (err: Error) => void;
  clock?: () => number;
}

const interval = (ms: number) => `${Math.round(ms)} milliseconds`;

/**
 * Which replica probes which model. Every replica heartbeats into `replicas`; from the live set it
 * computes each model's owner (`assignOwners`: the same answer on every replica, spread evenly);
 * it then holds a lease row per owned model. A lease is taken only if free or expired, so two
 * replicas never hold one model at once, and a dead replica's leases lapse after `ttlMs`, when the
 * survivors' next round takes them.
 */
export class ProbeLeases {
  /** Model -> local time until which this replica may act on its lease. */
  private readonly held = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private round: Promise<void> | null = null;
  private live: string[] = [];
  private readonly clock: () => number;

  constructor(
    private readonly pool: pg.Pool,
    private readonly opts: ProbeLeaseOptions,
  ) {
    this.clock = opts.clock ?? Date.now;
  }

  /** True while this replica holds the model's lease; false as soon as it may have lapsed. */
  holds(modelId: string): boolean {
    const until = this.held.get(modelId);
    return until !== undefined && this.clock() < until;
  }

  heldModels(): string[] {
    return [...this.held.keys()].filter((m) => this.holds(m));
  }

  liveReplicas(): readonly string[] {
    return this.live;
  }

  start(): void {
    const loop = () => {
      this.round = this.renew()
        .catch((err: unknown) => this.opts.onError?.(err as Error))
        .finally(() => {
          this.round = null;
          if (this.timer !== null) this.timer = setTimeout(loop, this.opts.everyMs);
        });
    };
    this.timer = setTimeout(loop, 0);
  }

  /** Stops renewing and hands every lease back, so the others take them on their next round. */
  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.round;
    this.held.clear();
    await this.pool
      .query('WITH gone AS (DELETE FROM replicas WHERE id = $1) DELETE FROM probe_leases WHERE holder = $1', [
        this.opts.replicaId,
      ])
      .catch((err: unknown) => this.opts.onError?.(err as Error));
  }

  /** One round: heartbeat and read the live set, then release what is no longer ours and take what is. */
  async renew(): Promise<void> {
    const { replicaId, models, ttlMs, busy } = this.opts;
    const { rows } = await this.pool.query<{ id: string }>(
      `WITH me AS (
         INSERT INTO replicas (id, seen_at) VALUES ($1, now())
         ON CONFLICT (id) DO UPDATE SET seen_at = now() RETURNING id)
       SELECT id FROM replicas WHERE seen_at > now() - $2::interval AND id <> $1 UNION SELECT id FROM me`,
      [replicaId, interval(ttlMs)],
    );
    this.live = rows.map((r) => r.id).sort();
    const ids = models();
    const owners = assignOwners(ids, this.live);
    const owned = ids.filter((m) => owners.get(m) === replicaId);
    const keep = new Set([...owned, ...[...this.held.keys()].filter((m) => busy(m) && this.holds(m))]);
    // Dropped here, before the round trip, so no probe of these starts while the release is on its way.
    for (const m of this.held.keys()) if (!keep.has(m)) this.held.delete(m);
    const sentAt = this.clock();
    const taken = await this.pool.query<{ model_id: string }>(
      `WITH released AS (
         DELETE FROM probe_leases WHERE holder = $1 AND NOT (model_id = ANY($2::text[])))
       INSERT INTO probe_leases (model_id, holder, expires_at)
       SELECT m, $1, now() + $3::interval FROM unnest($2::text[]) AS m
       ON CONFLICT (model_id) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
         WHERE probe_leases.holder = excluded.holder OR probe_leases.expires_at < now()
       RETURNING model_id`,
      [replicaId, [...keep], interval(ttlMs)],
    );
    const now = new Set(taken.rows.map((r) => r.model_id));
    for (const m of this.held.keys()) if (!now.has(m)) this.held.delete(m);
    // Counted from before the statement was sent: the lease cannot have started earlier than that.
    for (const m of now) this.held.set(m, sentAt + ttlMs);
  }
}

import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../../test/support/wait-for.js';
import { freshPostgresDatabase } from '../../../test/postgres-database.js';
import type { Sample } from '../../domain/health/index.js';
import { pruneShared } from './housekeeping.js';
import { ProbeLeases } from './probe-leases.js';
import { PostgresStore } from './postgres-store.js';
import { SampleFeed, type SharedSample } from './sample-feed.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

async function database(): Promise<{ url: string; pool: pg.Pool }> {
  const url = await freshPostgresDatabase('cluster');
  const store = await PostgresStore.open({ url, max: 8 });
  cleanups.push(() => store.close());
  return { url, pool: store.pool };
}

const models = (n: number) => Array.from({ length: n }, (_, i) => `p:model-${i}`);

function replica(pool: pg.Pool, replicaId: string, modelIds: string[], busy = new Set<string>()) {
  const leases = new ProbeLeases(pool, {
    replicaId,
    models: () => modelIds,
    ttlMs: 1_000,
    everyMs: 200,
    busy: (m) => busy.has(m),
  });
  leases.start();
  cleanups.push(() => leases.stop());
  return leases;
}

function sample(at: number, outcome: Sample['outcome'] = 'success'): Sample {
  return { at, source: 'probe', outcome, latencyMs: 120, ttftMs: 80, httpStatus: 200, errorMessage: null };
}

describe('probe leases', () => {
  it('when three replicas share 60 models, then every model has exactly one holder and a dead one’s models move within the lease time', async () => {
    const { pool } = await database();
    const ids = models(60);
    const all = [replica(pool, 'r-a', ids), replica(pool, 'r-b', ids), replica(pool, 'r-c', ids)];
    const partitionIsExact = () => {
      const held = all.flatMap((l) => l.heldModels());
      return held.length === ids.length && new Set(held).size === ids.length;
    };
    // A replica alone for a moment holds everything; the split settles once all three are live.
    const spread = () => partitionIsExact() && all.every((l) => l.heldModels().length > 5);
    await waitFor('each model held by exactly one of three replicas, spread over all three', spread, 10_000);
    // "Dead": it stops renewing without handing its leases back, as after SIGKILL.
    const dead = all[2]!;
    (dead as unknown as { timer: NodeJS.Timeout | null }).timer = null;
    const orphaned = dead.heldModels();
    const diedAt = Date.now();
    all.pop();
    await waitFor('the survivors hold every model', partitionIsExact, 10_000, 20);
    const tookMs = Date.now() - diedAt;
    expect(orphaned.every((m) => all.some((l) => l.holds(m)))).toBe(true);
    // Lease time (1 s) plus one round (0.2 s), with room for a loaded machine.
    expect(tookMs).toBeLessThan(2_500);
  });

  it('when a model is being probed, then its holder keeps the lease although a new replica now owns it', async () => {
    const { pool } = await database();
    const ids = models(40);
    const busy = new Set(ids);
    const first = replica(pool, 'r-a', ids, busy);
    await waitFor('the first replica holds all', () => first.heldModels().length === ids.length);
    const second = replica(pool, 'r-b', ids);
    await waitFor('the second replica is live', () => first.liveReplicas().length === 2);
    await new Promise((r) => setTimeout(r, 600));
    expect(second.heldModels()).toEqual([]);
    busy.clear();
    await waitFor('the models the second owns move to it', () => second.heldModels().length > 5, 10_000);
    const held = [...first.heldModels(), ...second.heldModels()];
    expect(new Set(held).size).toBe(held.length);
  });
});

describe('shared samples', () => {
  it('when one replica publishes a sample, then the others get it once, and not the publisher', async () => {
    const { url, pool } = await database();
    const got: Record<string, SharedSample[]> = { a: [], b: [], c: [] };
    for (const id of ['a', 'b', 'c']) {
      const feed = new SampleFeed(pool, { url, replicaId: id, catchUpMs: 60_000, onSample: (s) => got[id]!.push(s) });
      await feed.start();
      cleanups.push(() => feed.stop());
    }
    const publisher = new SampleFeed(pool, { url, replicaId: 'a', catchUpMs: 60_000, onSample: () => undefined });
    await publisher.publish('p:m', sample(1_000));
    await waitFor('b and c have the sample', () => got.b!.length === 1 && got.c!.length === 1, 5_000);
    expect(got.b![0]).toMatchObject({ modelId: 'p:m', replicaId: 'a', sample: sample(1_000) });
    expect(got.a).toEqual([]);
  });

  it('when a sample is too large for a notification, then the others still get it whole', async () => {
    const { url, pool } = await database();
    const got: SharedSample[] = [];
    const listener = new SampleFeed(pool, { url, replicaId: 'b', catchUpMs: 60_000, onSample: (s) => got.push(s) });
    await listener.start();
    cleanups.push(() => listener.stop());
    const publisher = new SampleFeed(pool, { url, replicaId: 'a', catchUpMs: 60_000, onSample: () => undefined });
    const large = { ...sample(7, 'server_error'), errorMessage: 'é'.repeat(6_000) };
    await publisher.publish('p:m', large);
    await waitFor('the large sample', () => got.length === 1, 5_000);
    expect(got[0]!.sample).toEqual(large);
  });

  it('when the listener’s connection is cut, then it reconnects and reads back what it missed, each once', async () => {
    const { url, pool } = await database();
    const got: number[] = [];
    const connected: boolean[] = [];
    const listener = new SampleFeed(pool, {
      url,
      replicaId: 'listener',
      catchUpMs: 60_000,
      onSample: (s) => got.push(s.sample.at),
      onConnected: (up) => connected.push(up),
    });
    await listener.start();
    cleanups.push(() => listener.stop());
    const publisher = new SampleFeed(pool, { url, replicaId: 'other', catchUpMs: 60_000, onSample: () => undefined });
    await publisher.publish('p:m', sample(1));
    await waitFor('the first sample', () => got.length === 1);
    await pool.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'modelwatch-samples'",
    );
    await waitFor('the listener noticed', () => connected.includes(false));
    for (let at = 2; at <= 4; at++) await publisher.publish('p:m', sample(at));
    await waitFor('everything, once', () => got.length === 4, 10_000);
    expect(got.sort()).toEqual([1, 2, 3, 4]);
  });
});

describe('housekeeping', () => {
  it('when samples are older than the window, then they are pruned and recent ones kept', async () => {
    const { url, pool } = await database();
    const feed = new SampleFeed(pool, { url, replicaId: 'a', catchUpMs: 60_000, onSample: () => undefined });
    await feed.publish('p:m', sample(1));
    await feed.publish('p:m', sample(2));
    await pool.query("UPDATE health_samples SET at = now() - interval '2 hours' WHERE (body->>'at')::int = 1");
    await pool.query("INSERT INTO replicas (id, seen_at) VALUES ('gone', now() - interval '2 hours'), ('here', now())");
    expect(await pruneShared(pool, 3_600_000)).toEqual({ samples: 1, replicas: 1 });
    const left = await pool.query<{ at: string }>("SELECT body->>'at' AS at FROM health_samples");
    expect(left.rows.map((r) => r.at)).toEqual(['2']);
  });
});

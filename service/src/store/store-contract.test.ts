import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freshPostgresDatabase } from '../../test/postgres-database.js';
import { SyncStoreAdapter, type AsyncStore } from './async-store.js';
import { PostgresStore } from './postgres/postgres-store.js';
import type { FallbackEvent, InterviewRecord } from './records.js';
import { SqliteStore } from './sqlite-store.js';

/** One contract, every store: what a caller may rely on whichever store the operator chose. */

interface Place {
  /** A store on this place; several may be open at once (replicas, or a reopen). */
  open(): Promise<AsyncStore>;
}

const opened: AsyncStore[] = [];
const track = (s: AsyncStore) => {
  opened.push(s);
  return s;
};
afterAll(async () => {
  await Promise.all(opened.map((s) => s.close().catch(() => undefined)));
});

const implementations: Array<[string, () => Promise<Place>]> = [
  [
    'SQLite',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'modelwatch-store-'));
      return Promise.resolve({
        open: () => Promise.resolve(track(new SyncStoreAdapter(SqliteStore.openInDir(dir)))),
      });
    },
  ],
  [
    'PostgreSQL',
    async () => {
      const url = await freshPostgresDatabase('contract');
      return { open: async () => track(await PostgresStore.open({ url, max: 4 })) };
    },
  ],
];

const key = (k: string) => ({ key: k, fingerprint: `fp-${k}` });

function interview(n: number, overrides: Partial<InterviewRecord> = {}): InterviewRecord {
  return {
    interviewId: `iv_${n}`,
    at: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
    simulationId: 'sim-a',
    requestedModel: 'openai:gpt-4o',
    model: 'anthropic:claude-sonnet-4',
    usedFallback: true,
    fallback: { reason: 'primary_unhealthy', source: 'auto', eventId: `fb_${n}` },
    primaryTriedAnyway: false,
    attempts: [],
    openingLine: 'Hello',
    usage: null,
    latencyMs: 10,
    traceId: null,
    ...overrides,
  };
}

function event(n: number, overrides: Partial<FallbackEvent> = {}): FallbackEvent {
  return {
    id: `fb_${n}`,
    at: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
    simulationId: 'sim-a',
    interviewId: `iv_${n}`,
    primary: 'openai:gpt-4o',
    chosen: 'anthropic:claude-sonnet-4',
    reason: 'primary_unhealthy',
    source: 'auto',
    primaryHealth: {
      state: 'unhealthy',
      reason: '3 consecutive failures',
      p95Ms: null,
      errorRate: 1,
      samples: 3,
      consecutiveFailures: 3,
    },
    attempts: [],
    traceId: null,
    ...overrides,
  };
}

describe.each(implementations)('%s store', (_name, place) => {
  it('when the store is reopened, then interviews, events, simulations and transitions are still there', async () => {
    const at = await place();
    const first = await at.open();
    await first.recordInterview(interview(1), event(1), key('key-1'));
    await first.putSimulation(
      { id: 'sim-a', primary: 'openai:gpt-4o', fallbacks: ['openai:gpt-4o-mini'], interview: { role: 'SRE' } },
      '2026-01-01T00:00:00.000Z',
    );
    const transition = { modelId: 'openai:gpt-4o', at: '2026-01-01T00:00:00.000Z', from: 'unknown', to: 'healthy' };
    await first.recordTransition({ ...transition, from: 'unknown', to: 'healthy', reason: 'ok' });
    await first.close();
    const second = await at.open();
    expect(await second.getInterview('iv_1')).toEqual(interview(1));
    expect(await second.getFallbackEvent('fb_1')).toEqual(event(1));
    expect((await second.getSimulation('sim-a'))?.interview).toEqual({ role: 'SRE' });
    expect((await second.listTransitions('openai:gpt-4o', 10)).items).toEqual([{ ...transition, reason: 'ok' }]);
  });

  it('when an idempotency key is reused, then neither the interview nor its event is written twice', async () => {
    const store = await (await place()).open();
    expect(await store.recordInterview(interview(1), event(1), key('same'))).toBe(true);
    expect(await store.recordInterview(interview(2), event(2), key('same'))).toBe(false);
    expect(await store.getInterview('iv_2')).toBeNull();
    expect(await store.getFallbackEvent('fb_2')).toBeNull();
    expect((await store.getInterviewByIdempotencyKey('same'))?.record.interviewId).toBe('iv_1');
  });

  it('when two stores on one place race 20 writes with one idempotency key, then exactly one is written', async () => {
    const at = await place();
    const replicas = [await at.open(), await at.open()];
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, n) =>
        replicas[n % 2]!.recordInterview(interview(n + 1), event(n + 1), key('contended')),
      ),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = await replicas[1]!.getInterviewByIdempotencyKey('contended');
    const page = await replicas[0]!.listFallbackEvents({ limit: 50 });
    expect(page.items.map((e) => e.interviewId)).toEqual([winner?.record.interviewId]);
    expect(winner?.fingerprint).toBe('fp-contended');
  });

  it('when an interview has no fallback, then it is written without an event', async () => {
    const store = await (await place()).open();
    const plain = interview(1, { usedFallback: false, fallback: null, model: 'openai:gpt-4o' });
    expect(await store.recordInterview(plain, null, null)).toBe(true);
    expect(await store.getInterview('iv_1')).toEqual(plain);
    expect((await store.listFallbackEvents({ limit: 10 })).items).toEqual([]);
  });

  it('when events are listed, then newest first with a cursor that pages through all of them once', async () => {
    const store = await (await place()).open();
    for (let n = 1; n <= 7; n++) await store.recordInterview(interview(n), event(n), null);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.listFallbackEvents({ limit: 3, cursor });
      seen.push(...page.items.map((e) => e.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual(['fb_7', 'fb_6', 'fb_5', 'fb_4', 'fb_3', 'fb_2', 'fb_1']);
  });

  it('when transitions are listed, then newest first per model with a cursor', async () => {
    const store = await (await place()).open();
    for (let n = 1; n <= 5; n++) {
      const at = new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString();
      await store.recordTransition({ modelId: 'm:a', at, from: 'healthy', to: 'degraded', reason: `r${n}` });
      await store.recordTransition({ modelId: 'm:b', at, from: 'healthy', to: 'degraded', reason: `other${n}` });
    }
    const first = await store.listTransitions('m:a', 3);
    const second = await store.listTransitions('m:a', 3, first.nextCursor ?? undefined);
    expect([...first.items, ...second.items].map((t) => t.reason)).toEqual(['r5', 'r4', 'r3', 'r2', 'r1']);
    expect(second.nextCursor).toBeNull();
  });

  it('when transitions are recorded without waiting on each other, then they are stored in the order they were made', async () => {
    // The recorder does not wait on a write before making the next change (a verdict can move twice within
    // a millisecond in a burst of failures): a pool of connections must not reorder the history.
    const store = await (await place()).open();
    const at = new Date(Date.UTC(2026, 0, 1)).toISOString();
    const states = ['healthy', 'degraded', 'unhealthy'] as const;
    await Promise.all(
      Array.from({ length: 60 }, (_, n) =>
        store.recordTransition({
          modelId: 'm:order',
          at,
          from: states[n % 3]!,
          to: states[(n + 1) % 3]!,
          reason: `n${n}`,
        }),
      ),
    );
    const page = await store.listTransitions('m:order', 100);
    expect(page.items.map((t) => t.reason).reverse()).toEqual(Array.from({ length: 60 }, (_, n) => `n${n}`));
  });

  it.each([
    ['model matches the primary', { model: 'openai:gpt-4o' }, ['fb_3', 'fb_2', 'fb_1']],
    ['model matches the chosen model', { model: 'openai:gpt-4o-mini' }, ['fb_2']],
    ['simulationId', { simulationId: 'sim-b' }, ['fb_3']],
    ['reason', { reason: 'primary_failed' as const }, ['fb_1']],
    ['since (inclusive)', { sinceMs: Date.UTC(2026, 0, 1, 0, 0, 2) }, ['fb_3', 'fb_2']],
    ['until (exclusive)', { untilMs: Date.UTC(2026, 0, 1, 0, 0, 2) }, ['fb_1']],
  ])('when filtered by %s, then only matching events', async (_filterName, filter, expected) => {
    const store = await (await place()).open();
    await store.recordInterview(interview(1), event(1, { reason: 'primary_failed' }), null);
    await store.recordInterview(interview(2), event(2, { chosen: 'openai:gpt-4o-mini' }), null);
    await store.recordInterview(interview(3, { simulationId: 'sim-b' }), event(3, { simulationId: 'sim-b' }), null);
    const page = await store.listFallbackEvents({ limit: 50, ...filter });
    expect(page.items.map((e) => e.id)).toEqual(expected);
  });

  it('when a simulation is put twice, then the second replaces it and keeps createdAt', async () => {
    const store = await (await place()).open();
    const first = await store.putSimulation(
      { id: 's', primary: 'a:b', fallbacks: [], interview: {} },
      '2026-01-01T00:00:00.000Z',
    );
    expect(first.created).toBe(true);
    const second = await store.putSimulation(
      { id: 's', primary: 'a:c', fallbacks: [], interview: {} },
      '2026-01-02T00:00:00.000Z',
    );
    expect(second.created).toBe(false);
    const expected = { primary: 'a:c', createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-02T00:00:00.000Z' };
    expect(second.record).toMatchObject(expected);
    expect(await store.getSimulation('s')).toMatchObject(expected);
    expect((await store.listSimulations(10)).items.map((s) => s.id)).toEqual(['s']);
    expect(await store.deleteSimulation('s')).toBe(true);
    expect(await store.deleteSimulation('s')).toBe(false);
  });

  it('when simulations are listed, then by id, a page at a time, each once', async () => {
    const store = await (await place()).open();
    for (const id of ['c', 'a', 'e', 'b', 'd'])
      await store.putSimulation({ id, primary: 'a:b', fallbacks: [], interview: {} }, '2026-01-01T00:00:00.000Z');
    const first = await store.listSimulations(2);
    const second = await store.listSimulations(2, first.nextCursor ?? undefined);
    const third = await store.listSimulations(2, second.nextCursor ?? undefined);
    expect([first, second, third].flatMap((p) => p.items.map((s) => s.id))).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(third.nextCursor).toBeNull();
  });

  it('when the store answers, then it reports itself available', async () => {
    const store = await (await place()).open();
    expect(await store.check()).toMatchObject({ ok: true });
    expect(store.status()).toMatchObject({ ok: true, code: null });
  });
});

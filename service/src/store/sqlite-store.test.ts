import { mkdtempSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FallbackEvent, InterviewRecord } from './records.js';
import { SqliteStore } from './sqlite-store.js';
import { waitFor } from '../../test/support/wait-for.js';

const freshDir = () => mkdtempSync(join(tmpdir(), 'modelwatch-store-'));

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

describe('SqliteStore', () => {
  it('when interviews are recorded, then they reach the database file off the event loop, not only its WAL', async () => {
    const dir = freshDir();
    const store = SqliteStore.openInDir(dir);
    const file = join(dir, 'modelwatch.db');
    const before = statSync(file).size;
    // Far fewer pages than SQLite's auto-checkpoint (1,000): only the checkpoint worker moves them.
    for (let n = 1; n <= 60; n++) await store.recordInterview(interview(n), event(n), null);
    await waitFor('the records to be checkpointed into the database file', () => statSync(file).size > before, 10_000);
    store.close();
  });

  it('when the store is reopened, then interviews, events, simulations and transitions are still there', async () => {
    const dir = freshDir();
    const first = SqliteStore.openInDir(dir);
    await first.recordInterview(interview(1), event(1), { key: 'key-1', fingerprint: 'f1' });
    await first.putSimulation(
      { id: 'sim-a', primary: 'openai:gpt-4o', fallbacks: ['openai:gpt-4o-mini'], interview: { role: 'SRE' } },
      '2026-01-01T00:00:00.000Z',
    );
    first.recordTransition({
      modelId: 'openai:gpt-4o',
      at: '2026-01-01T00:00:00.000Z',
      from: 'unknown',
      to: 'healthy',
      reason: 'ok',
    });
    first.close();
    const second = SqliteStore.openInDir(dir);
    expect(second.getInterview('iv_1')?.model).toBe('anthropic:claude-sonnet-4');
    expect(second.getFallbackEvent('fb_1')?.primaryHealth.state).toBe('unhealthy');
    expect(second.getSimulation('sim-a')?.interview).toEqual({ role: 'SRE' });
    expect(second.listTransitions('openai:gpt-4o', 10).items).toHaveLength(1);
    second.close();
  });

  it('when an idempotency key is reused, then neither the interview nor its event is written twice', async () => {
    const store = SqliteStore.openInDir(freshDir());
    expect(await store.recordInterview(interview(1), event(1), { key: 'same', fingerprint: 'f1' })).toBe(true);
    expect(await store.recordInterview(interview(2), event(2), { key: 'same', fingerprint: 'f2' })).toBe(false);
    expect(store.getInterview('iv_2')).toBeNull();
    expect(store.getFallbackEvent('fb_2')).toBeNull();
    expect(store.getInterviewByIdempotencyKey('same')).toMatchObject({
      record: { interviewId: 'iv_1' },
      fingerprint: 'f1',
    });
  });

  it('when a database from before request fingerprints is opened, then its keys still replay, with no fingerprint', async () => {
    const dir = freshDir();
    const old = new Database(join(dir, 'modelwatch.db'));
    old.exec(
      'CREATE TABLE interviews (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, idempotency_key TEXT UNIQUE, at TEXT NOT NULL, body TEXT NOT NULL)',
    );
    old
      .prepare('INSERT INTO interviews (id, idempotency_key, at, body) VALUES (?, ?, ?, ?)')
      .run('iv_1', 'old-key', interview(1).at, JSON.stringify(interview(1)));
    old.close();
    const store = SqliteStore.openInDir(dir);
    expect(store.getInterviewByIdempotencyKey('old-key')).toMatchObject({
      record: { interviewId: 'iv_1' },
      fingerprint: null,
    });
    expect(await store.recordInterview(interview(2), event(2), { key: 'new-key', fingerprint: 'f2' })).toBe(true);
    expect(store.getInterviewByIdempotencyKey('new-key')?.fingerprint).toBe('f2');
    store.close();
  });

  it('when events are listed, then newest first with a cursor that pages through all of them once', async () => {
    const store = SqliteStore.openInDir(freshDir());
    for (let n = 1; n <= 7; n++) await store.recordInterview(interview(n), event(n), null);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = store.listFallbackEvents({ limit: 3, cursor });
      seen.push(...page.items.map((e) => e.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual(['fb_7', 'fb_6', 'fb_5', 'fb_4', 'fb_3', 'fb_2', 'fb_1']);
  });

  it.each([
    ['model matches the primary', { model: 'openai:gpt-4o' }, ['fb_3', 'fb_2', 'fb_1']],
    ['model matches the chosen model', { model: 'openai:gpt-4o-mini' }, ['fb_2']],
    ['simulationId', { simulationId: 'sim-b' }, ['fb_3']],
    ['reason', { reason: 'primary_failed' as const }, ['fb_1']],
    ['since (inclusive)', { sinceMs: Date.UTC(2026, 0, 1, 0, 0, 2) }, ['fb_3', 'fb_2']],
    ['until (exclusive)', { untilMs: Date.UTC(2026, 0, 1, 0, 0, 2) }, ['fb_1']],
  ])('when filtered by %s, then only matching events', async (_name, filter, expected) => {
    const store = SqliteStore.openInDir(freshDir());
    await store.recordInterview(interview(1), event(1, { reason: 'primary_failed' }), null);
    await store.recordInterview(interview(2), event(2, { chosen: 'openai:gpt-4o-mini' }), null);
    await store.recordInterview(interview(3, { simulationId: 'sim-b' }), event(3, { simulationId: 'sim-b' }), null);
    expect(store.listFallbackEvents({ limit: 50, ...filter }).items.map((e) => e.id)).toEqual(expected);
  });

  it('when a simulation is put twice, then the second replaces it and keeps createdAt', async () => {
    const store = SqliteStore.openInDir(freshDir());
    expect(
      (await store.putSimulation({ id: 's', primary: 'a:b', fallbacks: [], interview: {} }, '2026-01-01T00:00:00.000Z'))
        .created,
    ).toBe(true);
    const second = await store.putSimulation(
      { id: 's', primary: 'a:c', fallbacks: [], interview: {} },
      '2026-01-02T00:00:00.000Z',
    );
    expect(second.created).toBe(false);
    expect(second.record).toMatchObject({
      primary: 'a:c',
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-02T00:00:00.000Z',
    });
    expect(await store.deleteSimulation('s')).toBe(true);
    expect(await store.deleteSimulation('s')).toBe(false);
  });
});

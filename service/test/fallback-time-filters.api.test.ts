import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FallbackEvent, InterviewRecord } from '../src/store/records.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import { json } from './support/http.js';
import { type InProcess, startInProcess, testConfigText } from './support/stack.js';

// since/until are instants: an offset that carries the instant past year 9999 or before year 0000
// must still compare as time, not as text.
let svc: InProcess;
const at = (n: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString();

function records(n: number): { interview: InterviewRecord; event: FallbackEvent } {
  const event: FallbackEvent = {
    id: `fb_${n}`,
    at: at(n),
    simulationId: null,
    interviewId: `iv_${n}`,
    primary: 'openai:gpt-4o',
    chosen: 'anthropic:claude-sonnet-4',
    reason: 'primary_unhealthy',
    source: 'auto',
    primaryHealth: { state: 'unhealthy', reason: 'x', p95Ms: null, errorRate: 1, samples: 3, consecutiveFailures: 3 },
    attempts: [],
    traceId: null,
  };
  const interview: InterviewRecord = {
    interviewId: `iv_${n}`,
    at: at(n),
    simulationId: null,
    requestedModel: event.primary,
    model: event.chosen,
    usedFallback: true,
    fallback: { reason: event.reason, source: event.source, eventId: event.id },
    primaryTriedAnyway: false,
    attempts: [],
    openingLine: 'Hello',
    usage: null,
    latencyMs: 1,
    traceId: null,
  };
  return { interview, event };
}

beforeAll(async () => {
  // Stored before the service opens the directory, as an earlier run of it would have.
  const dataDir = mkdtempSync(join(tmpdir(), 'modelwatch-filters-'));
  const store = SqliteStore.openInDir(dataDir);
  for (const n of [1, 2, 3]) {
    const { interview, event } = records(n);
    await store.recordInterview(interview, event, null);
  }
  store.close();
  svc = await startInProcess({ agentUrl: 'http://127.0.0.1:1', configText: testConfigText(1), dataDir });
});
afterAll(() => svc.service.stop(1000));

const ids = async (query: string): Promise<string[]> => {
  const res = await json(`${svc.url}/v1/fallbacks?${query}`);
  expect(res.status).toBe(200);
  return (res.body.events as Array<{ id: string }>).map((e) => e.id);
};

describe('when fallbacks are filtered by time with an offset', () => {
  it.each([
    [
      'since, an hour ahead of UTC (inclusive)',
      `since=${encodeURIComponent('2026-01-01T01:00:02+01:00')}`,
      ['fb_3', 'fb_2'],
    ],
    ['until, behind UTC (exclusive)', `until=${encodeURIComponent('2025-12-31T23:00:02-01:00')}`, ['fb_1']],
    ['since past year 9999 once the offset is applied', `since=${encodeURIComponent('9999-12-31T23:30:00-01:00')}`, []],
    [
      'until past year 9999 once the offset is applied',
      `until=${encodeURIComponent('9999-12-31T23:30:00-01:00')}`,
      ['fb_3', 'fb_2', 'fb_1'],
    ],
    [
      'since before year 0000 once the offset is applied',
      `since=${encodeURIComponent('0000-01-01T00:30:00+01:00')}`,
      ['fb_3', 'fb_2', 'fb_1'],
    ],
    [
      'until before year 0000 once the offset is applied',
      `until=${encodeURIComponent('0000-01-01T00:30:00+01:00')}`,
      [],
    ],
  ])('when %s, then the events of that time range', async (_name, query, expected) => {
    expect(await ids(query)).toEqual(expected);
  });
});

// Proven forgiveness from degraded: a streak of probes within the SLO, a fresh window, re-trip backoff.
import { describe, expect, it } from 'vitest';
import { Scenario, interview, probe, times, wait } from '../../../test/support/health-scenario.js';
import type { Step } from '../../../test/support/health-scenario.js';
import type { HealthSnapshot, HealthState } from './types.js';

/** 10 fast calls, then 10 slow ones: p95 5 s > SLO 3 s, degraded. */
const slowIncident: Step[] = [...times(10, interview()), ...times(10, interview('success', { latencyMs: 5000 }))];
const goodProbes = (count: number): Step[] => times(count, probe('success', { gapMs: 5000 }));

interface Case {
  name: string;
  steps: Array<Step | Step[]>;
  state: HealthState;
  reason?: string;
  snapshot?: Partial<HealthSnapshot> | Record<string, unknown>;
  path?: string[];
}

const cases: Case[] = [
  {
    name: 'when 3 probes in a row are within the SLO, then a degraded model is healthy again with a fresh window',
    steps: [slowIncident, goodProbes(3)],
    state: 'healthy',
    reason:
      '3 probes within SLO in a row after degraded; p95 200 ms over 3 successes (SLO check needs 5), 3 samples (rates need 5)',
    snapshot: { samples: { total: 3 } },
    path: ['unknown→healthy', 'healthy→degraded', 'degraded→healthy'],
  },
  {
    name: 'when only 2 probes are within the SLO, then it stays degraded and shows progress',
    steps: [slowIncident, goodProbes(2)],
    state: 'degraded',
    snapshot: { forgiveness: { streak: 2, required: 3 } },
  },
  {
    name: 'when a probe over the SLO interrupts the streak, then the streak restarts',
    steps: [slowIncident, goodProbes(2), probe('success', { latencyMs: 4000 }), goodProbes(2)],
    state: 'degraded',
    snapshot: { forgiveness: { streak: 2, required: 3 } },
  },
  {
    name: 'when an interview failure interrupts the streak, then the streak restarts',
    steps: [slowIncident, goodProbes(2), interview('server_error'), goodProbes(2)],
    state: 'degraded',
    snapshot: { forgiveness: { streak: 2, required: 3 } },
  },
  {
    name: 'when interview successes sit in the streak, then they neither count nor break it',
    steps: [slowIncident, goodProbes(1), times(4, interview()), goodProbes(1)],
    state: 'degraded',
    snapshot: { forgiveness: { streak: 2, required: 3 } },
  },
  {
    name: 'when it degrades again within trip memory of a forgiveness, then it needs twice the proof',
    steps: [slowIncident, goodProbes(3), slowIncident, goodProbes(3)],
    state: 'degraded',
    snapshot: { forgiveness: { streak: 3, required: 6 } },
  },
  {
    name: 'when the re-trip backoff is met, then it is forgiven again',
    steps: [slowIncident, goodProbes(3), slowIncident, goodProbes(6)],
    state: 'healthy',
    path: ['unknown→healthy', 'healthy→degraded', 'degraded→healthy', 'healthy→degraded', 'degraded→healthy'],
  },
  {
    name: 'when it degrades again after trip memory has passed, then 3 probes are enough again',
    steps: [slowIncident, goodProbes(3), wait(600_000), slowIncident, goodProbes(3)],
    state: 'healthy',
  },
];

describe('forgiveness from degraded', () => {
  it.each(cases)('$name', (testCase) => {
    const scenario = new Scenario().run(testCase.steps);
    const snapshot = scenario.snapshot();
    expect(snapshot.state).toBe(testCase.state);
    if (testCase.reason !== undefined) expect(snapshot.reason).toBe(testCase.reason);
    if (testCase.snapshot) expect(snapshot).toMatchObject(testCase.snapshot);
    if (testCase.path) expect(scenario.path()).toEqual(testCase.path);
  });

  it('when it is degraded by a recent 429, then 3 probes succeeding after it forgive it before the 60 s are up', () => {
    const scenario = new Scenario().run([times(10, interview()), interview('rate_limited'), goodProbes(3)]);
    expect(scenario.snapshot()).toMatchObject({ state: 'healthy' });
    expect(scenario.path()).toEqual(['unknown→healthy', 'healthy→degraded', 'degraded→healthy']);
  });

  it('when a 429 arrives during the streak, then it is not forgiven', () => {
    const scenario = new Scenario().run([
      times(10, interview()),
      interview('rate_limited'),
      goodProbes(1),
      interview('rate_limited'),
      goodProbes(2),
    ]);
    expect(scenario.snapshot()).toMatchObject({ state: 'degraded', reason: expect.stringContaining('rate limited') });
  });
});

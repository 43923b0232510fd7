// Table-driven scenarios for leaving unhealthy (proof by probes, fresh window, backoff) and for staleness.
import { describe, expect, it } from 'vitest';
import { MODEL, Scenario, interview, probe, times, wait } from '../../../test/support/health-scenario.js';
import type { Step } from '../../../test/support/health-scenario.js';
import type { HealthSnapshot, HealthState, ThresholdOverrides } from './types.js';

interface Case {
  name: string;
  overrides?: ThresholdOverrides;
  /** How often the model is probed, when the case is about it. */
  probeIntervalMs?: number;
  steps: Array<Step | Step[]>;
  state: HealthState;
  reason: string;
  snapshot?: Partial<HealthSnapshot> | Record<string, unknown>;
  path?: string[];
}

/** Three probe failures: trips a model with default thresholds. */
const trip: Step[] = times(3, probe('server_error'));
const okProbes = (count: number, gapMs = 1000): Step[] => times(count, probe('success', { gapMs }));
const TRIPPED = '3 consecutive failures: server_error (HTTP 500)';

const recoveryCases: Case[] = [
  {
    name: 'when one successful probe follows a trip, then it stays unhealthy and shows progress 1/2',
    steps: [trip, okProbes(1)],
    state: 'unhealthy',
    reason: `tripped on ${TRIPPED}; recovery 1/2 successful probes`,
    snapshot: { consecutiveSuccesses: 1, requiredSuccesses: 2, consecutiveFailures: 0 },
  },
  {
    name: 'when more failures follow a trip, then the live cause is reported',
    steps: [trip, probe('timeout')],
    state: 'unhealthy',
    reason: '4 consecutive failures: timeout; recovery 0/2 successful probes',
  },
  {
    name: 'when 2 successful probes follow a trip, then it recovers and says so',
    steps: [trip, okProbes(2)],
    state: 'healthy',
    reason:
      '2/2 successful probes after unhealthy; p95 200 ms over 2 successes (SLO check needs 5), 2 samples (rates need 5)',
    path: ['unknown→unhealthy', 'unhealthy→healthy'],
  },
  {
    name: 'when interview successes follow a trip, then they do not count toward recovery',
    steps: [trip, times(5, interview())],
    state: 'unhealthy',
    reason: `tripped on ${TRIPPED}; recovery 0/2 successful probes`,
    snapshot: { consecutiveSuccesses: 0 },
  },
  {
    name: 'when an interview success sits between two successful probes, then it does not break the streak',
    steps: [trip, probe(), interview(), probe()],
    state: 'healthy',
    reason:
      '2/2 successful probes after unhealthy; p95 200 ms over 3 successes (SLO check needs 5), 3 samples (rates need 5)',
    snapshot: { samples: { total: 3, bySource: { probe: 2, interview: 1 } } },
  },
  {
    name: 'when a probe failure interrupts the streak, then the streak restarts',
    steps: [trip, probe(), probe('server_error'), probe()],
    state: 'unhealthy',
    reason: 'error rate 66.7% ≥ 50% over 6 samples; recovery 1/2 successful probes',
  },
  {
    name: 'when an interview failure interrupts the streak, then the streak restarts too',
    steps: [trip, probe(), interview('timeout'), probe()],
    state: 'unhealthy',
    reason: 'error rate 66.7% ≥ 50% over 6 samples; recovery 1/2 successful probes',
  },
  {
    name: 'when a probe is rate limited during the streak, then it proves nothing and restarts the streak',
    steps: [trip, probe(), probe('rate_limited'), probe()],
    state: 'unhealthy',
    reason: 'error rate 50% ≥ 50% over 6 samples; recovery 1/2 successful probes',
  },
  {
    name: 'when an interview is rate limited during the streak, then recovery completes but the 429 degrades',
    steps: [trip, probe(), interview('rate_limited'), probe()],
    state: 'degraded',
    reason: '2/2 successful probes after unhealthy; rate limited (HTTP 429) 1 s ago',
    path: ['unknown→unhealthy', 'unhealthy→degraded'],
  },
  {
    name: 'when it recovers, then the window is fresh: old failures and counters are gone',
    steps: [times(10, probe()), trip, okProbes(2)],
    state: 'healthy',
    reason:
      '2/2 successful probes after unhealthy; p95 200 ms over 2 successes (SLO check needs 5), 2 samples (rates need 5)',
    snapshot: { samples: { total: 2 }, errorRate: 0, consecutiveFailures: 0, consecutiveSuccesses: 2 },
  },
  {
    name: 'when it recovers, then a 429 from before the streak is forgotten with the old window',
    steps: [probe(), probe('rate_limited'), trip, okProbes(2)],
    state: 'healthy',
    reason:
      '2/2 successful probes after unhealthy; p95 200 ms over 2 successes (SLO check needs 5), 2 samples (rates need 5)',
  },
  {
    name: 'when one failure follows a recovery, then the fresh window keeps it healthy',
    steps: [trip, okProbes(2), probe('server_error')],
    state: 'healthy',
    reason: 'p95 200 ms over 2 successes (SLO check needs 5), 3 samples (rates need 5)',
  },
  {
    name: 'when ticks follow a recovery, then the reason keeps saying why it is back until the next sample',
    steps: [trip, okProbes(2), wait(5000)],
    state: 'healthy',
    reason:
      '2/2 successful probes after unhealthy; p95 200 ms over 2 successes (SLO check needs 5), 2 samples (rates need 5)',
  },
  {
    name: 'when a model tripped by error rate recovers, then it starts a fresh window too',
    steps: [probe(), probe('server_error'), probe(), probe('server_error'), probe('server_error'), okProbes(2)],
    state: 'healthy',
    reason:
      '2/2 successful probes after unhealthy; p95 200 ms over 2 successes (SLO check needs 5), 2 samples (rates need 5)',
    snapshot: { errorRate: 0 },
  },
];

const backoffCases: Case[] = [
  {
    name: 'when it has recovered once, then the snapshot shows the doubled streak a re-trip would need',
    steps: [trip, okProbes(2)],
    state: 'healthy',
    reason:
      '2/2 successful probes after unhealthy; p95 200 ms over 2 successes (SLO check needs 5), 2 samples (rates need 5)',
    snapshot: { trips: 1, requiredSuccesses: 4 },
  },
  {
    name: 'when it trips again within tripMemoryMs of recovering, then it needs 4 successful probes',
    steps: [trip, okProbes(2), trip],
    state: 'unhealthy',
    reason: `${TRIPPED}; error rate 60% ≥ 50% over 5 samples; recovery 0/4 successful probes`,
    snapshot: { trips: 2, requiredSuccesses: 4 },
  },
  {
    name: 'when a re-tripped model has 3 of 4 successful probes, then it is still unhealthy',
    steps: [trip, okProbes(2), trip, okProbes(3)],
    state: 'unhealthy',
    reason: `tripped on ${TRIPPED}; error rate 60% ≥ 50% over 5 samples; recovery 3/4 successful probes`,
  },
  {
    name: 'when a re-tripped model has 4 successful probes, then it recovers',
    steps: [trip, okProbes(2), trip, okProbes(4)],
    state: 'healthy',
    reason:
      '4/4 successful probes after unhealthy; p95 200 ms over 4 successes (SLO check needs 5), 4 samples (rates need 5)',
    path: ['unknown→unhealthy', 'unhealthy→healthy', 'healthy→unhealthy', 'unhealthy→healthy'],
  },
  {
    name: 'when it trips a third time in a row, then it needs 8 successful probes',
    steps: [trip, okProbes(2), trip, okProbes(4), trip],
    state: 'unhealthy',
    reason: `${TRIPPED}; recovery 0/8 successful probes`,
    snapshot: { trips: 3, requiredSuccesses: 8 },
  },
  {
    name: 'when it trips a fourth time in a row, then the streak stays capped at recoveryMaxSuccesses 8',
    steps: [trip, okProbes(2), trip, okProbes(4), trip, okProbes(8), trip],
    state: 'unhealthy',
    reason: `${TRIPPED}; recovery 0/8 successful probes`,
    snapshot: { trips: 4, requiredSuccesses: 8 },
  },
  {
    name: 'when the cap is 5 and the factor 3, then the second trip needs min(2 × 3, 5) = 5',
    overrides: { recoveryBackoffFactor: 3, recoveryMaxSuccesses: 5 },
    steps: [trip, okProbes(2), trip],
    state: 'unhealthy',
    reason: `${TRIPPED}; error rate 60% ≥ 50% over 5 samples; recovery 0/5 successful probes`,
  },
  {
    name: 'when it trips again just before tripMemoryMs (593 s after recovering), then it is a re-trip',
    steps: [trip, okProbes(2), okProbes(59, 10_000), trip],
    state: 'unhealthy',
    reason: `${TRIPPED}; recovery 0/4 successful probes`,
    snapshot: { trips: 2 },
  },
  {
    name: 'when it stays out of unhealthy for tripMemoryMs, then the backoff decays to the base',
    steps: [trip, okProbes(2), okProbes(60, 10_000)],
    state: 'healthy',
    reason: 'p95 200 ms ≤ SLO 3 s, error rate 0% over 30 samples',
    snapshot: { trips: 0, requiredSuccesses: 2 },
  },
  {
    name: 'when it trips after the backoff decayed, then it needs the base streak again',
    steps: [trip, okProbes(2), trip, okProbes(4), okProbes(60, 10_000), trip],
    state: 'unhealthy',
    reason: `${TRIPPED}; recovery 0/2 successful probes`,
    snapshot: { trips: 1, requiredSuccesses: 2 },
  },
  {
    name: 'when recoverySuccesses is 1, then a single successful probe recovers',
    overrides: { recoverySuccesses: 1 },
    steps: [trip, okProbes(1)],
    state: 'healthy',
    reason:
      '1/1 successful probes after unhealthy; p95 200 ms over 1 success (SLO check needs 5), 1 sample (rates need 5)',
  },
];

const stalenessCases: Case[] = [
  {
    name: 'when a healthy model gets no sample for staleAfterMs (30 s), then it is unknown and says how old',
    steps: [okProbes(5), wait(29_000), wait(1000)],
    state: 'unknown',
    reason: 'no sample for 30 s (stale after 30 s)',
    path: ['unknown→healthy', 'healthy→unknown'],
  },
  {
    name: 'when a healthy model gets no sample for 29 s, then it is still healthy',
    steps: [okProbes(5), wait(29_000)],
    state: 'healthy',
    reason: 'p95 200 ms ≤ SLO 3 s, error rate 0% over 5 samples',
  },
  {
    name: 'when a degraded model goes stale, then it is unknown',
    steps: [okProbes(20), probe('rate_limited'), wait(41_000)],
    state: 'unknown',
    reason: 'no sample for 41 s (stale after 30 s)',
    path: ['unknown→healthy', 'healthy→degraded', 'degraded→unknown'],
  },
  {
    name: 'when an unhealthy model goes stale, then it stays unhealthy (no proof) and says how old the last sample is',
    steps: [trip, wait(41_000)],
    state: 'unhealthy',
    reason: `${TRIPPED}; recovery 0/2 successful probes; no sample for 41 s`,
    path: ['unknown→unhealthy'],
  },
  {
    name: 'when a model never had a sample, then time alone keeps it unknown with no samples yet',
    steps: [wait(100_000)],
    state: 'unknown',
    reason: 'no samples yet',
  },
  {
    name: 'when a stale model gets a sample again, then the verdict uses the window it still has',
    steps: [okProbes(5), wait(40_000), probe()],
    state: 'healthy',
    reason: 'p95 200 ms ≤ SLO 3 s, error rate 0% over 6 samples',
    path: ['unknown→healthy', 'healthy→unknown', 'unknown→healthy'],
  },
  {
    name: 'when the model is probed every 20 s, then staleAfterMs defaults to 3 × 20 s = 60 s',
    probeIntervalMs: 20_000,
    steps: [okProbes(5), wait(45_000), wait(15_000)],
    state: 'unknown',
    reason: 'no sample for 60 s (stale after 60 s)',
  },
  {
    name: 'when staleAfterMs is set to 10 s, then 10 s without a sample is stale',
    overrides: { staleAfterMs: 10_000 },
    steps: [okProbes(5), wait(10_000)],
    state: 'unknown',
    reason: 'no sample for 10 s (stale after 10 s)',
  },
];

function runCase(testCase: Case): void {
  const scenario = new Scenario(testCase.overrides, MODEL, testCase.probeIntervalMs).run(testCase.steps);
  const snapshot = scenario.snapshot();

  expect(snapshot.state).toBe(testCase.state);
  expect(snapshot.reason).toBe(testCase.reason);
  if (testCase.snapshot !== undefined) expect(snapshot).toMatchObject(testCase.snapshot);
  if (testCase.path !== undefined) expect(scenario.path()).toEqual(testCase.path);
}

describe('recovery from unhealthy', () => {
  it.each(recoveryCases)('$name', runCase);
});

describe('recovery backoff on re-trips', () => {
  it.each(backoffCases)('$name', runCase);
});

describe('staleness', () => {
  it.each(stalenessCases)('$name', runCase);
});

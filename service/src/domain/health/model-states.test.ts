// Table-driven scenarios for how samples decide the state: one named case per rule and threshold.
import { describe, expect, it } from 'vitest';
import { Scenario, interview, probe, times } from '../../../test/support/health-scenario.js';
import type { Step } from '../../../test/support/health-scenario.js';
import type { HealthSnapshot, HealthState, ThresholdOverrides } from './types.js';

interface Case {
  name: string;
  overrides?: ThresholdOverrides;
  steps: Array<Step | Step[]>;
  state: HealthState;
  reason: string;
  snapshot?: Partial<HealthSnapshot> | Record<string, unknown>;
  path?: string[];
}

const successes = (count: number, latencyMs = 200): Step[] => times(count, probe('success', { latencyMs }));
const failures = (count: number): Step[] => times(count, probe('server_error'));

const cases: Case[] = [
  // --- first samples and minimum samples ---
  {
    name: 'when a model has no samples, then it is unknown',
    steps: [],
    state: 'unknown',
    reason: 'no samples yet',
  },
  {
    name: 'when one successful probe arrives, then it is healthy and says rates need more samples',
    steps: [probe()],
    state: 'healthy',
    reason: 'p95 200 ms over 1 success (SLO check needs 5), 1 sample (rates need 5)',
    path: ['unknown→healthy'],
  },
  {
    name: 'when the first sample is a failure, then it stays unknown (one failure is not a verdict)',
    steps: [probe('server_error')],
    state: 'unknown',
    reason: 'no success in the window yet: 1 sample, last failure server_error (HTTP 500)',
    path: [],
  },
  {
    name: 'when 12 fast successes arrive, then it is healthy with p95 and error rate in the reason',
    steps: [successes(12)],
    state: 'healthy',
    reason: 'p95 200 ms ≤ SLO 3 s, error rate 0% over 12 samples',
    snapshot: { errorRate: 0, consecutiveFailures: 0, consecutiveSuccesses: 12 },
  },
  {
    name: 'when 2 of 4 samples failed (below minSamples), then rates do not count yet and it stays healthy',
    steps: [probe(), probe('server_error'), probe(), probe('server_error')],
    state: 'healthy',
    reason: 'p95 200 ms over 2 successes (SLO check needs 5), 4 samples (rates need 5)',
    snapshot: { errorRate: 0.5 },
  },
  {
    name: 'when the 5th sample reaches minSamples with 2 of 5 failed, then the error rate counts: degraded',
    steps: [probe(), probe('server_error'), probe(), probe('server_error'), probe()],
    state: 'degraded',
    reason: 'error rate 40% ≥ 10% over 5 samples',
    path: ['unknown→healthy', 'healthy→degraded'],
  },
  // --- hysteresis: the latest event alone does not decide ---
  {
    name: 'when one failure follows 10 successes (9.1% < 10%), then it stays healthy',
    steps: [successes(10), probe('server_error')],
    state: 'healthy',
    reason: 'p95 200 ms ≤ SLO 3 s over 10 successful samples, error rate 9.1% over 11 samples',
    path: ['unknown→healthy'],
  },
  {
    name: 'when 2 consecutive failures follow 20 successes, then it is not unhealthy',
    steps: [successes(20), failures(2)],
    state: 'healthy',
    reason: 'p95 200 ms ≤ SLO 3 s over 20 successful samples, error rate 9.1% over 22 samples',
    snapshot: { consecutiveFailures: 2 },
  },
  {
    name: 'when 3 failures alternate with successes, then no run of 3: degraded by error rate, not unhealthy',
    steps: [successes(20), probe('timeout'), probe(), probe('timeout'), probe(), probe('timeout')],
    state: 'degraded',
    reason: 'error rate 12% ≥ 10% over 25 samples',
    snapshot: { consecutiveFailures: 1 },
    path: ['unknown→healthy', 'healthy→degraded'],
  },
  // --- consecutive failures ---
  {
    name: 'when 3 consecutive hard failures arrive, then it is unhealthy and says which failure',
    steps: [successes(20), failures(3)],
    state: 'unhealthy',
    reason: '3 consecutive failures: server_error (HTTP 500); recovery 0/2 successful probes',
    snapshot: { consecutiveFailures: 3, trips: 1, requiredSuccesses: 2 },
    path: ['unknown→healthy', 'healthy→unhealthy'],
  },
  {
    name: 'when 3 different failure classes arrive in a row, then they count as one run',
    steps: [successes(20), probe('timeout'), probe('connection'), probe('overloaded')],
    state: 'unhealthy',
    reason: '3 consecutive failures: overloaded (HTTP 503); recovery 0/2 successful probes',
  },
  {
    name: 'when a new model fails 3 times in a row, then it goes straight from unknown to unhealthy',
    steps: [failures(3)],
    state: 'unhealthy',
    reason: '3 consecutive failures: server_error (HTTP 500); recovery 0/2 successful probes',
    path: ['unknown→unhealthy'],
  },
  {
    name: 'when a 429 sits inside a run of failures, then it neither counts nor breaks the run',
    steps: [successes(20), probe('server_error'), probe('rate_limited'), probe('timeout'), probe('auth')],
    state: 'unhealthy',
    reason: '3 consecutive failures: auth (HTTP 401); recovery 0/2 successful probes',
    snapshot: { consecutiveFailures: 3 },
  },
  // --- rate limiting ---
  {
    name: 'when 3 rate-limited probes arrive, then it is degraded, not unhealthy (429 is not a hard failure)',
    steps: [successes(20), times(3, probe('rate_limited'))],
    state: 'degraded',
    reason: 'rate limited (HTTP 429) 0 ms ago',
    snapshot: { consecutiveFailures: 0, errorRate: 0 },
  },
  {
    name: 'when a single 429 arrives on a new model, then it is degraded without minimum samples',
    steps: [probe(), probe('rate_limited')],
    state: 'degraded',
    reason: 'rate limited (HTTP 429) 0 ms ago',
  },
  {
    // Interview successes: they do not count toward forgiveness (forgiveness.test.ts), so the 60-s rule alone acts.
    name: 'when the last 429 is 60 s old, then it is healthy again',
    steps: [successes(20), probe('rate_limited'), times(6, interview('success', { gapMs: 10_000 }))],
    state: 'healthy',
    reason: 'p95 200 ms ≤ SLO 3 s over 26 successful samples, error rate 0% over 27 samples',
    path: ['unknown→healthy', 'healthy→degraded', 'degraded→healthy'],
  },
  {
    name: 'when the last 429 is 50 s old, then it is still degraded and says how old',
    steps: [successes(20), probe('rate_limited'), times(5, interview('success', { gapMs: 10_000 }))],
    state: 'degraded',
    reason: 'rate limited (HTTP 429) 50 s ago',
  },
  // --- error rate ---
  {
    name: 'when 3 of 5 samples failed without 3 in a row, then it is unhealthy by error rate',
    steps: [probe(), probe('server_error'), probe(), probe('server_error'), probe('server_error')],
    state: 'unhealthy',
    reason: 'error rate 60% ≥ 50% over 5 samples; recovery 0/2 successful probes',
    snapshot: { consecutiveFailures: 2, errorRate: 0.6 },
  },
  {
    name: 'when 1 of 10 samples failed, then the degraded error rate (≥ 10%) applies',
    steps: [successes(9), probe('server_error')],
    state: 'degraded',
    reason: 'error rate 10% ≥ 10% over 10 samples',
  },
  // --- latency SLO ---
  {
    name: 'when p95 latency is above the SLO with enough samples, then it is degraded with p95 and SLO in numbers',
    steps: [successes(13, 400), probe('success', { latencyMs: 3800 })],
    state: 'degraded',
    reason: 'p95 3.8 s > SLO 3 s over 14 samples (7.1% slower than SLO)',
    snapshot: { latency: { p50Ms: 400, p95Ms: 3800, p99Ms: 3800 } },
  },
  {
    name: 'when slow successes are fewer than minSamples, then the SLO is not judged yet',
    steps: [successes(4, 4000)],
    state: 'healthy',
    reason: 'p95 4 s over 4 successes (SLO check needs 5), 4 samples (rates need 5)',
  },
  {
    name: 'when p95 equals the SLO exactly, then it is not above it: healthy',
    steps: [successes(10, 3000)],
    state: 'healthy',
    reason: 'p95 3 s ≤ SLO 3 s, error rate 0% over 10 samples',
    snapshot: { slowCallRate: 0 },
  },
  {
    name: 'when fast errors join slow successes, then p95 is over successes only and stays above the SLO',
    steps: [successes(10, 3500), probe('server_error', { latencyMs: 20 })],
    state: 'degraded',
    reason: 'p95 3.5 s > SLO 3 s over 10 successful samples (100% slower than SLO)',
    snapshot: { latency: { p50Ms: 3500, p95Ms: 3500, p99Ms: 3500 }, slowCallRate: 1 },
  },
  {
    name: 'when latency and error rate are both bad, then the reason names both',
    steps: [successes(9, 5000), probe('server_error')],
    state: 'degraded',
    reason: 'p95 5 s > SLO 3 s over 9 successful samples (100% slower than SLO); error rate 10% ≥ 10% over 10 samples',
  },
  // --- passive (interview) samples ---
  {
    name: 'when only interview successes arrive, then they make the model healthy',
    steps: [times(6, interview())],
    state: 'healthy',
    reason: 'p95 200 ms ≤ SLO 3 s, error rate 0% over 6 samples',
    snapshot: { samples: { total: 6, bySource: { probe: 0, interview: 6 } }, lastProbeAt: null },
  },
  {
    name: 'when 3 interview failures arrive in a row, then they trip the model like probe failures',
    steps: [successes(20), times(3, interview('timeout'))],
    state: 'unhealthy',
    reason: '3 consecutive failures: timeout; recovery 0/2 successful probes',
  },
  {
    name: 'when interview and probe failures alternate, then they form one run',
    steps: [successes(20), interview('server_error'), probe('server_error'), interview('invalid_response')],
    state: 'unhealthy',
    reason: '3 consecutive failures: invalid_response (HTTP 200); recovery 0/2 successful probes',
  },
  // --- per-model overrides ---
  {
    name: 'when unhealthyConsecutiveFailures is 5, then 4 failures only degrade',
    overrides: { unhealthyConsecutiveFailures: 5 },
    steps: [successes(20), failures(4)],
    state: 'degraded',
    reason: 'error rate 16.7% ≥ 10% over 24 samples',
  },
  {
    name: 'when unhealthyConsecutiveFailures is 5, then the 5th failure trips it',
    overrides: { unhealthyConsecutiveFailures: 5 },
    steps: [successes(20), failures(5)],
    state: 'unhealthy',
    reason: '5 consecutive failures: server_error (HTTP 500); recovery 0/2 successful probes',
  },
  {
    name: 'when latencySloMs is 500, then a p95 of 600 ms degrades',
    overrides: { latencySloMs: 500 },
    steps: [successes(5, 600)],
    state: 'degraded',
    reason: 'p95 600 ms > SLO 500 ms over 5 samples (100% slower than SLO)',
  },
  {
    name: 'when minSamples is 2, then 1 failure of 2 samples is already a 50% error rate',
    overrides: { minSamples: 2 },
    steps: [probe(), probe('server_error')],
    state: 'unhealthy',
    reason: 'error rate 50% ≥ 50% over 2 samples; recovery 0/2 successful probes',
  },
  {
    name: 'when rateLimitedRecentMs is 0, then a 429 does not degrade',
    overrides: { rateLimitedRecentMs: 0 },
    steps: [successes(20), probe('rate_limited')],
    state: 'healthy',
    reason: 'p95 200 ms ≤ SLO 3 s over 20 successful samples, error rate 0% over 21 samples',
  },
  {
    name: 'when degradedErrorRate is above 1, then the degraded error-rate rule is off',
    overrides: { degradedErrorRate: 1.01 },
    steps: [successes(6), probe('server_error'), probe(), probe('server_error')],
    state: 'healthy',
    reason: 'p95 200 ms ≤ SLO 3 s over 7 successful samples, error rate 22.2% over 9 samples',
  },
];

describe('health state decision', () => {
  it.each(cases)('$name', (testCase) => {
    const scenario = new Scenario(testCase.overrides).run(testCase.steps);
    const snapshot = scenario.snapshot();

    expect(snapshot.state).toBe(testCase.state);
    expect(snapshot.reason).toBe(testCase.reason);
    if (testCase.snapshot !== undefined) expect(snapshot).toMatchObject(testCase.snapshot);
    if (testCase.path !== undefined) expect(scenario.path()).toEqual(testCase.path);
  });

  it('when any state is reached, then its reason carries numbers', () => {
    const reasons = cases.filter((testCase) => testCase.steps.length > 0).map((testCase) => testCase.reason);
    for (const reason of reasons) expect(reason).toMatch(/\d/);
  });
});

// First-token evidence through the engine: calls in flight that age past the budget, censored
// samples, and late completions after a fresh window. Budget here: 500 ms (the floor; TTFT p95 80 ms).
// Misses only count for calls that started after the newest call that answered in time, so the
// steps below leave a gap after the warm-up probes.
import { describe, expect, it } from 'vitest';
import {
  Scenario,
  callStarts,
  censored,
  completes,
  firstTokenOf,
  interview,
  probe,
  times,
  wait,
} from '../../../test/support/health-scenario.js';
import type { Step } from '../../../test/support/health-scenario.js';
import type { HealthSnapshot, HealthState } from './types.js';

const warm: Step[] = times(10, probe());
const NO_FIRST_TOKEN = '3 calls in a row had no first token within 500 ms (hedge delay)';

interface Case {
  name: string;
  steps: Array<Step | Step[]>;
  state: HealthState;
  reason?: string;
  snapshot?: Partial<HealthSnapshot>;
}

const cases: Case[] = [
  {
    name: 'when 3 calls wait past the budget with no first token, then it is degraded now, before any ends',
    steps: [warm, callStarts('a'), callStarts('b', 100), callStarts('c', 100), wait(500)],
    state: 'degraded',
    reason: NO_FIRST_TOKEN,
    snapshot: { inFlight: 3, firstTokenMisses: 3, hedgeDelayMs: 500 },
  },
  {
    name: 'when only 2 calls are past the budget, then it is still healthy',
    steps: [warm, callStarts('a'), callStarts('b', 100), callStarts('c', 300), wait(300)],
    state: 'healthy',
    snapshot: { inFlight: 3, firstTokenMisses: 2 },
  },
  {
    name: 'when calls got their first token in time, then their age says nothing',
    steps: [warm, times(3, callStarts('a')), firstTokenOf('a', 90), callStarts('b'), firstTokenOf('b', 90), wait(2000)],
    state: 'healthy',
    snapshot: { inFlight: 0, firstTokenMisses: 0 },
  },
  {
    name: 'when a call started after the misses answers in time, then the run is over',
    steps: [warm, callStarts('a'), callStarts('b'), callStarts('c'), wait(600), callStarts('d'), firstTokenOf('d', 90)],
    state: 'healthy',
    snapshot: { inFlight: 3, firstTokenMisses: 0 },
  },
  {
    name: 'when 3 calls are given up after the budget with no first token, then censored samples degrade it',
    steps: [warm, censored(null, 700, 1000), censored(null, 700, 1000), censored(null, 700, 1000)],
    state: 'degraded',
    reason: NO_FIRST_TOKEN,
    snapshot: { samples: { total: 10 } } as Partial<HealthSnapshot>,
  },
  {
    name: 'when censored samples were cut before the budget, then they are not misses',
    steps: [warm, times(5, censored(null, 200))],
    state: 'healthy',
    snapshot: { firstTokenMisses: 0 },
  },
  {
    name: 'when censored samples are kept out of percentiles, then p95 stays that of completed calls',
    steps: [warm, times(5, censored(null, 2500, 3000))],
    state: 'degraded',
    snapshot: { latency: { p50Ms: 200, p95Ms: 200, p99Ms: 200 }, errorRate: 0 },
  },
  {
    name: 'when first tokens come, but later than the budget, then they are misses too',
    steps: [times(40, probe()), times(3, completes('interview', 'success', 2000, { ttftMs: 1500, gapMs: 3000 }))],
    state: 'degraded',
    snapshot: { firstTokenMisses: 3 },
  },
];

describe('first-token evidence', () => {
  it.each(cases)('$name', (testCase) => {
    const scenario = new Scenario().run(testCase.steps);
    const snapshot = scenario.snapshot();
    expect(snapshot.state).toBe(testCase.state);
    if (testCase.reason !== undefined) expect(snapshot.reason).toBe(testCase.reason);
    if (testCase.snapshot) expect(snapshot).toMatchObject(testCase.snapshot);
  });

  it('when a hung call completes after the model was forgiven, then it does not drag it back to degraded', () => {
    const scenario = new Scenario().run([
      warm,
      callStarts('hung'),
      times(10, completes('interview', 'success', 5000)),
      wait(1000),
    ]);
    expect(scenario.snapshot().state).toBe('degraded');
    scenario.run([times(3, probe('success', { gapMs: 5000 }))]);
    expect(scenario.snapshot().state).toBe('healthy');
    const total = scenario.snapshot().samples.total;
    scenario.run([completes('interview', 'timeout', 30_000, { callId: 'hung' }), wait(1000)]);
    expect(scenario.snapshot()).toMatchObject({ state: 'healthy', samples: { total }, inFlight: 0 });
  });

  it('when a late failure arrives after recovery from unhealthy, then it is not counted', () => {
    const scenario = new Scenario().run([warm, times(3, probe('server_error')), times(2, probe())]);
    expect(scenario.snapshot().state).toBe('healthy');
    scenario.run([completes('interview', 'timeout', 20_000), completes('interview', 'timeout', 20_000)]);
    expect(scenario.snapshot()).toMatchObject({ state: 'healthy', consecutiveFailures: 0 });
  });

  it('when interview calls finish normally, then nothing stays in flight', () => {
    const scenario = new Scenario().run([
      warm,
      callStarts('a'),
      firstTokenOf('a', 90, 90),
      completes('interview', 'success', 300, { callId: 'a', gapMs: 210 }),
      interview(),
    ]);
    expect(scenario.snapshot()).toMatchObject({ inFlight: 0, firstTokenMisses: 0, state: 'healthy' });
  });
});

// Health across a restart: a memento taken from one engine restored into a fresh one.
import { describe, expect, it } from 'vitest';
import { HealthEngine } from './engine.js';
import { decodeMemento, encodeMemento } from './persisted.js';
import { MODEL, Scenario, interview, probe, times } from '../../../test/support/health-scenario.js';
import type { Step } from '../../../test/support/health-scenario.js';
import type { HealthState } from './types.js';

/** Restores `scenario`'s model into a new engine, `afterMs` later, through the stored (JSON) form. */
function restart(
  scenario: Scenario,
  afterMs: number,
): { engine: HealthEngine; now: () => number; advance: (ms: number) => void } {
  let now = scenario.now + afterMs;
  const engine = new HealthEngine(() => now);
  engine.register(MODEL);
  engine.restore(MODEL, decodeMemento(encodeMemento(scenario.engine.memento(MODEL))));
  return { engine, now: () => now, advance: (ms) => (now += ms) };
}

const cases: Array<{
  name: string;
  steps: Array<Step | Step[]>;
  afterMs: number;
  state: HealthState;
  reason?: RegExp;
}> = [
  {
    name: 'when an unhealthy model restarts, then it is still unhealthy with its reason',
    steps: [times(10, probe()), times(3, probe('server_error'))],
    afterMs: 2000,
    state: 'unhealthy',
    reason: /^3 consecutive failures: server_error \(HTTP 500\); recovery 0\/2 successful probes$/,
  },
  {
    name: 'when an unhealthy model restarts long after, then it is still unhealthy and says how old the evidence is',
    steps: [times(3, probe('server_error'))],
    afterMs: 120_000,
    state: 'unhealthy',
    reason: /no sample for 2 min/,
  },
  {
    name: 'when a healthy model restarts within staleness, then it is healthy',
    steps: [times(10, probe())],
    afterMs: 5000,
    state: 'healthy',
  },
  {
    name: 'when a healthy model restarts after its evidence went stale, then it is unknown',
    steps: [times(10, probe())],
    afterMs: 60_000,
    state: 'unknown',
    reason: /^no sample for 60 s/,
  },
  {
    name: 'when a degraded model restarts, then it is degraded by the restored window',
    steps: [times(10, interview()), times(10, interview('success', { latencyMs: 5000 }))],
    afterMs: 2000,
    state: 'degraded',
    reason: /^p95 5 s > SLO 3 s/,
  },
];

describe('restore after a restart', () => {
  it.each(cases)('$name', ({ steps, afterMs, state, reason }) => {
    const before = new Scenario().run(steps);
    const { engine } = restart(before, afterMs);
    const after = engine.snapshot(MODEL);
    expect(after.state).toBe(state);
    if (reason) expect(after.reason).toMatch(reason);
  });

  it('when the window is restored, then its figures are those recorded before the stop', () => {
    const before = new Scenario().run([times(10, probe()), times(2, interview('server_error'))]);
    const after = restart(before, 1000).engine.snapshot(MODEL);
    const recorded = before.snapshot();
    expect(after).toMatchObject({
      samples: recorded.samples,
      latency: recorded.latency,
      errorRate: recorded.errorRate,
      consecutiveFailures: 2,
    });
  });

  it('when samples are older than the window at restore, then they are dropped', () => {
    const before = new Scenario().run([times(10, probe())]);
    const after = restart(before, 301_000).engine.snapshot(MODEL);
    expect(after.samples.total).toBe(0);
  });

  it('when an unhealthy model is restored, then it recovers with the same proof as before the stop', () => {
    const before = new Scenario().run([times(3, probe('server_error')), probe()]);
    const { engine, now, advance } = restart(before, 1000);
    expect(engine.snapshot(MODEL)).toMatchObject({ state: 'unhealthy', consecutiveSuccesses: 1, requiredSuccesses: 2 });
    advance(1000);
    engine.addSample(MODEL, { at: now(), source: 'probe', outcome: 'success', latencyMs: 200, ttftMs: 80 });
    expect(engine.snapshot(MODEL).state).toBe('healthy');
  });

  it('when a trip run is restored, then the backoff still applies', () => {
    const tripAndRecover: Step[] = [...times(3, probe('server_error')), ...times(2, probe())];
    const before = new Scenario().run([tripAndRecover, times(3, probe('server_error'))]);
    const { engine } = restart(before, 1000);
    expect(engine.snapshot(MODEL)).toMatchObject({ state: 'unhealthy', requiredSuccesses: 4, trips: 2 });
  });

  it.each([
    ['not JSON at all', 'nope', /JSON/],
    ['an unknown version', '{"version":9}', /version 9/],
    ['a bad state', '{"version":1,"state":"fine"}', /bad state/],
    [
      'a bad sample',
      JSON.stringify({
        version: 1,
        state: 'healthy',
        since: 1,
        consecutiveFailures: 0,
        probeStreak: 0,
        streakStartOffset: 0,
        streakStartedAt: 0,
        trips: 0,
        samples: [[1, 0, 99, 5, null]],
      }),
      /samples\[0\]/,
    ],
  ])('when the stored form is %s, then decoding fails with what is wrong', (_name, text, message) => {
    expect(() => decodeMemento(text)).toThrow(message);
  });
});

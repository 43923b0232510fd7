// Window behaviour seen through the engine: cap, expiry on record and on tick, which samples feed which figure.
import { describe, expect, it } from 'vitest';
import { Scenario, probe, interview, times, wait } from '../../../test/support/health-scenario.js';
import type { Step } from '../../../test/support/health-scenario.js';
import type { HealthSnapshot, ThresholdOverrides } from './types.js';
import { SampleWindow } from './window.js';

interface Case {
  name: string;
  overrides?: ThresholdOverrides;
  steps: Array<Step | Step[]>;
  expected: Partial<HealthSnapshot> | Record<string, unknown>;
}

const latencies = (values: number[]): Step[] => values.map((latencyMs) => probe('success', { latencyMs }));
const oneToHundred = Array.from({ length: 100 }, (_, index) => index + 1);

const cases: Case[] = [
  {
    name: 'when 50 samples arrive with maxSamples 10, then the window holds the newest 10',
    overrides: { maxSamples: 10 },
    steps: [latencies(oneToHundred.slice(0, 50))],
    expected: { samples: { total: 10 }, latency: { p50Ms: 45, p95Ms: 50, p99Ms: 50 } },
  },
  {
    name: 'when the cap pushes old failures out, then they no longer count in the error rate',
    // Forgiveness would also drop them (a fresh window): switched off to see the cap alone.
    overrides: { maxSamples: 5, degradedRecoverySuccesses: 100, recoveryMaxSuccesses: 100 },
    steps: [probe(), times(2, probe('server_error')), times(5, probe())],
    expected: { state: 'healthy', errorRate: 0, samples: { total: 5, byOutcome: { server_error: 0, success: 5 } } },
  },
  {
    name: 'when samples are older than windowMs at the next record, then they leave the window',
    overrides: { windowMs: 60_000 },
    steps: [times(10, probe()), times(2, probe('server_error')), times(7, probe('success', { gapMs: 10_000 }))],
    expected: { samples: { total: 6, byOutcome: { server_error: 0 } }, errorRate: 0, consecutiveFailures: 0 },
  },
  {
    name: 'when samples expire between records, then tick drops them',
    overrides: { windowMs: 60_000, staleAfterMs: 120_000 },
    steps: [times(5, probe()), wait(59_000)],
    expected: { samples: { total: 1 }, state: 'healthy' },
  },
  {
    name: 'when every sample has expired but the model is not stale yet, then it is unknown with an empty window',
    overrides: { windowMs: 60_000, staleAfterMs: 120_000 },
    steps: [times(5, probe()), wait(60_000)],
    expected: {
      samples: { total: 0 },
      state: 'unknown',
      reason: 'no sample in the window (last 60 s)',
      errorRate: null,
      latency: { p50Ms: null, p95Ms: null, p99Ms: null },
    },
  },
  {
    name: 'when latencies 1..100 ms arrive, then p50/p95/p99 are the nearest-rank values 50/95/99',
    steps: [latencies(oneToHundred)],
    expected: { latency: { p50Ms: 50, p95Ms: 95, p99Ms: 99 } },
  },
  {
    name: 'when failures are fast, then latency percentiles ignore them',
    steps: [latencies([1000, 1000, 1000]), times(2, probe('server_error', { latencyMs: 5 }))],
    expected: { latency: { p50Ms: 1000, p95Ms: 1000, p99Ms: 1000 } },
  },
  {
    name: 'when a failure has a ttft (the stream broke), then ttft percentiles include it; nulls are skipped',
    steps: [
      probe('success', { ttftMs: 100 }),
      probe('success', { ttftMs: null }),
      probe('timeout', { ttftMs: 900 }),
      probe('server_error', { ttftMs: null }),
    ],
    expected: { ttft: { p50Ms: 100, p95Ms: 900, p99Ms: 900 } },
  },
  {
    name: 'when 2 of 10 successes are slower than the SLO, then the slow-call rate is 20%',
    steps: [latencies([...Array<number>(8).fill(500), 4000, 5000])],
    expected: { slowCallRate: 0.2 },
  },
  {
    name: 'when probes and interviews mix, then counts are kept per source and per outcome',
    steps: [probe(), interview(), interview('rate_limited'), probe('timeout')],
    expected: {
      samples: {
        total: 4,
        bySource: { probe: 2, interview: 2 },
        byOutcome: { success: 2, rate_limited: 1, timeout: 1, server_error: 0 },
      },
      errorRate: 0.25,
    },
  },
];

describe('sample window through the engine', () => {
  it.each(cases)('$name', (testCase) => {
    const scenario = new Scenario(testCase.overrides).run(testCase.steps);
    expect(scenario.snapshot()).toMatchObject(testCase.expected);
  });
});

describe('SampleWindow', () => {
  const entry = (at: number, latencyMs: number, outcome: 'success' | 'timeout' = 'success') =>
    ({ at, source: 'probe', outcome, latencyMs, ttftMs: null }) as const;

  it('when a sample arrives older than the newest, then it takes the newest time so expiry stays in order', () => {
    const window = new SampleWindow(8, 1000, 3000);
    window.push(entry(5000, 1));
    window.push(entry(4000, 2));
    expect(window.entries().map((stored) => stored.at)).toEqual([5000, 5000]);
    expect(window.evictExpired(5999)).toBe(0);
    expect(window.evictExpired(6000)).toBe(2);
  });

  it('when the ring wraps many times, then counts and sorted values stay consistent', () => {
    const window = new SampleWindow(4, 1_000_000, 3000);
    for (let index = 0; index < 103; index += 1)
      window.push(entry(index, index, index % 3 === 0 ? 'timeout' : 'success'));
    const stored = window.entries();
    expect(stored.map((item) => item.latencyMs)).toEqual([99, 100, 101, 102]);
    expect(window.figures()).toMatchObject({ total: 4, successes: 2, hardFailures: 2 });
    expect(window.figures().latency).toEqual({ p50Ms: 100, p95Ms: 101, p99Ms: 101 });
  });

  it('when evicting before a sequence number, then exactly the older entries go', () => {
    const window = new SampleWindow(8, 1_000_000, 3000);
    const sequences = [10, 20, 30, 40].map((latency, index) => window.push(entry(index, latency)));
    expect(sequences).toEqual([0, 1, 2, 3]);
    expect(window.evictBefore(2)).toBe(2);
    expect(window.entries().map((item) => item.latencyMs)).toEqual([30, 40]);
    expect(window.nextSequence).toBe(4);
  });

  it('when figures are read twice without a change, then the same frozen object is returned', () => {
    const window = new SampleWindow(8, 1_000_000, 3000);
    window.push(entry(1, 10));
    const first = window.figures();
    expect(window.figures()).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    window.push(entry(2, 20));
    expect(window.figures()).not.toBe(first);
  });
});

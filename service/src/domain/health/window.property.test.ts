// Property: whatever the traffic, the engine's window figures equal a brute-force oracle that keeps
// every sample, takes the newest maxSamples, drops those older than windowMs, and sorts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HealthEngine } from './engine.js';
import { percentileOfSorted } from './percentiles.js';
import { OUTCOMES } from './types.js';
import type { HealthSnapshot, Outcome, Sample } from './types.js';

const MODEL = 'prop:model';
const T0 = 1_700_000_000_000;

const eventArbitrary = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('sample' as const),
      gapMs: fc.integer({ min: 0, max: 5_000 }),
      // Successes dominate so the latency figures have data; every class still shows up.
      outcome: fc.oneof(
        { weight: 3, arbitrary: fc.constant<Outcome>('success') },
        { weight: 2, arbitrary: fc.constantFrom(...OUTCOMES) },
      ),
      source: fc.constantFrom('probe' as const, 'interview' as const),
      latencyMs: fc.oneof(fc.integer({ min: 0, max: 120_000 }), fc.double({ min: 0, max: 120_000, noNaN: true })),
      ttftMs: fc.option(fc.integer({ min: 0, max: 60_000 }), { nil: null }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('tick' as const), gapMs: fc.integer({ min: 0, max: 30_000 }) }),
  },
);

// Caps and windows past the ring's first allocation (32 slots, doubled as samples come), so growing
// a ring that has wrapped is exercised too.
const thresholdsArbitrary = fc.record({
  maxSamples: fc.integer({ min: 1, max: 150 }),
  windowMs: fc.oneof(fc.integer({ min: 1, max: 60_000 }), fc.integer({ min: 60_000, max: 900_000 })),
});

function oracleFigures(history: Sample[], now: number, maxSamples: number, windowMs: number) {
  const window = history.slice(-maxSamples).filter((sample) => sample.at > now - windowMs);
  const latencies = window
    .filter((s) => s.outcome === 'success')
    .map((s) => s.latencyMs)
    .sort((a, b) => a - b);
  const ttfts = window.flatMap((s) => (s.ttftMs === null ? [] : [s.ttftMs])).sort((a, b) => a - b);
  const figuresOf = (sorted: number[]) => ({
    p50Ms: percentileOfSorted(sorted, 50),
    p95Ms: percentileOfSorted(sorted, 95),
    p99Ms: percentileOfSorted(sorted, 99),
  });
  const hardFailures = window.filter((s) => s.outcome !== 'success' && s.outcome !== 'rate_limited').length;
  return {
    total: window.length,
    latency: figuresOf(latencies),
    ttft: figuresOf(ttfts),
    errorRate: window.length === 0 ? null : hardFailures / window.length,
    successes: latencies.length,
  };
}

function engineFigures(snapshot: HealthSnapshot) {
  return {
    total: snapshot.samples.total,
    latency: { ...snapshot.latency },
    ttft: { ...snapshot.ttft },
    errorRate: snapshot.errorRate,
    successes: snapshot.samples.byOutcome.success,
  };
}

describe('window figures (property)', () => {
  it('when random samples arrive at random times with expiry and the cap, then figures equal a sorted-array oracle', () => {
    fc.assert(
      fc.property(thresholdsArbitrary, fc.array(eventArbitrary, { minLength: 1, maxLength: 300 }), (limits, events) => {
        let now = T0;
        const engine = new HealthEngine(() => now);
        // Trips and forgiveness would start a fresh window (separately tested rules): switch them off here.
        engine.register(MODEL, {
          ...limits,
          unhealthyConsecutiveFailures: 1e9,
          unhealthyErrorRate: 2,
          degradedRecoverySuccesses: 1e9,
          recoveryMaxSuccesses: 1e9,
        });
        const history: Sample[] = [];
        for (const event of events) {
          now += event.gapMs;
          if (event.kind === 'tick') {
            engine.tick();
          } else {
            const { kind: _kind, gapMs: _gapMs, ...fields } = event;
            const sample: Sample = { ...fields, at: now };
            engine.addSample(MODEL, sample);
            history.push(sample);
          }
          const expected = oracleFigures(history, now, limits.maxSamples, limits.windowMs);
          expect(engineFigures(engine.snapshot(MODEL))).toEqual(expected);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('when the ring has wrapped (expired samples at its start) and then must grow, then the figures still equal the oracle', () => {
    let now = T0;
    const engine = new HealthEngine(() => now);
    const limits = { maxSamples: 100, windowMs: 10_000 };
    engine.register(MODEL, { ...limits, unhealthyConsecutiveFailures: 1e9, unhealthyErrorRate: 2 });
    const history: Sample[] = [];
    // 20 samples over 10 s, 6 s of quiet (about 12 expire: the ring's start moves), then 60 quick ones (it grows twice).
    const gaps = [...Array<number>(20).fill(500), 6_000, ...Array<number>(60).fill(100)];
    gaps.forEach((gap, i) => {
      now += gap;
      const sample: Sample = { at: now, source: 'probe', outcome: 'success', latencyMs: (i * 37) % 101, ttftMs: i };
      engine.addSample(MODEL, sample);
      history.push(sample);
      expect(engineFigures(engine.snapshot(MODEL))).toEqual(oracleFigures(history, now, 100, 10_000));
    });
  });
});

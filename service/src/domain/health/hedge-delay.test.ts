import { describe, expect, it } from 'vitest';
import { hedgeDelayMs } from './hedge-delay.js';
import { resolveThresholds } from './thresholds.js';
import type { HealthThresholds } from './types.js';

interface Case {
  name: string;
  p95: number | null;
  total: number;
  overrides?: Partial<HealthThresholds>;
  expected: number;
}

const cases: Case[] = [
  { name: 'when there is no TTFT yet, then the cap (3 s)', p95: null, total: 0, expected: 3000 },
  { name: 'when fewer than minSamples samples, then the cap', p95: 100, total: 4, expected: 3000 },
  { name: 'when 1.5 × p95 is under the floor, then the floor (500 ms)', p95: 100, total: 20, expected: 500 },
  { name: 'when 1.5 × p95 is between floor and cap, then 1.5 × p95', p95: 1000, total: 20, expected: 1500 },
  { name: 'when 1.5 × p95 is over the cap, then the cap', p95: 4000, total: 20, expected: 3000 },
  {
    name: 'when factor, floor and cap are set, then they are used',
    p95: 150,
    total: 20,
    overrides: { hedgeFactor: 2, hedgeFloorMs: 200, hedgeCapMs: 1000 },
    expected: 300,
  },
  {
    name: 'when hedgeDelayMs is set, then it wins over the evidence',
    p95: 4000,
    total: 20,
    overrides: { hedgeDelayMs: 800 },
    expected: 800,
  },
  {
    name: 'when hedgeDelayMs is set and there is no evidence, then it still wins',
    p95: null,
    total: 0,
    overrides: { hedgeDelayMs: 800 },
    expected: 800,
  },
];

describe('hedge delay', () => {
  it.each(cases)('$name', ({ p95, total, overrides, expected }) => {
    const thresholds = resolveThresholds(overrides);
    const evidence = { ttft: { p50Ms: p95, p95Ms: p95, p99Ms: p95 }, total };
    expect(hedgeDelayMs(evidence, thresholds)).toBe(expected);
  });

  it('when the cap is below the floor, then the thresholds are refused naming both', () => {
    expect(() => resolveThresholds({ hedgeFloorMs: 2000, hedgeCapMs: 1000 })).toThrow(
      'health threshold hedgeCapMs: hedgeCapMs (1000) must be ≥ hedgeFloorMs (2000)',
    );
  });
});

import { describe, expect, it } from 'vitest';
import { DEFAULT_THRESHOLDS, requiredSuccessesForTrip, resolveThresholds } from './thresholds.js';
import type { ThresholdOverrides } from './types.js';

describe('resolveThresholds', () => {
  it('when no overrides are given, then the documented defaults apply with staleAfterMs 30 s', () => {
    expect(resolveThresholds()).toEqual({
      windowMs: 300_000,
      maxSamples: 2048,
      minSamples: 5,
      unhealthyConsecutiveFailures: 3,
      unhealthyErrorRate: 0.5,
      degradedErrorRate: 0.1,
      latencySloMs: 3000,
      slowCallRate: 0.05,
      rateLimitedRecentMs: 60_000,
      recoverySuccesses: 2,
      recoveryBackoffFactor: 2,
      recoveryMaxSuccesses: 8,
      tripMemoryMs: 600_000,
      hedgeFactor: 1.5,
      hedgeFloorMs: 500,
      hedgeCapMs: 3000,
      hedgeDelayMs: 0,
      noFirstTokenRun: 3,
      degradedRecoverySuccesses: 3,
      staleAfterMs: 30_000,
    });
  });

  it.each<[string, ThresholdOverrides, number | undefined, number]>([
    ['a probe every 5 s keeps the 30 s floor', {}, 5_000, 30_000],
    ['a probe every 20 s gives 3 × 20 s', {}, 20_000, 60_000],
    ['an explicit staleAfterMs wins', { staleAfterMs: 12_000 }, 20_000, 12_000],
    ['an undefined staleAfterMs is filled', { staleAfterMs: undefined }, undefined, 30_000],
  ])('when %s, then staleAfterMs is right', (_name, overrides, probeIntervalMs, expected) => {
    expect(resolveThresholds(overrides, probeIntervalMs).staleAfterMs).toBe(expected);
  });

  it('when an override is undefined, then the default is kept', () => {
    expect(resolveThresholds({ minSamples: undefined }).minSamples).toBe(5);
  });

  it('when resolved, then the result and the defaults are frozen', () => {
    expect(Object.isFrozen(resolveThresholds())).toBe(true);
    expect(Object.isFrozen(DEFAULT_THRESHOLDS)).toBe(true);
  });

  it.each<[string, ThresholdOverrides | Record<string, unknown>, string]>([
    ['minSamples 0', { minSamples: 0 }, 'health threshold minSamples: must be an integer ≥ 1, got 0'],
    [
      'maxSamples 2.5',
      { maxSamples: 2.5 },
      'health threshold maxSamples: must be an integer from 1 to 100000, got 2.5',
    ],
    [
      'windowMs negative',
      { windowMs: -1 },
      'health threshold windowMs (windowSeconds in the config file): must be a number of seconds > 0, got -0.001',
    ],
    [
      'unhealthyErrorRate 0',
      { unhealthyErrorRate: 0 },
      'health threshold unhealthyErrorRate: must be a ratio > 0, got 0',
    ],
    [
      'a string latencySloMs',
      { latencySloMs: '3000' },
      'health threshold latencySloMs: must be a number of ms > 0, got "3000"',
    ],
    [
      'recoveryBackoffFactor 0.5',
      { recoveryBackoffFactor: 0.5 },
      'health threshold recoveryBackoffFactor: must be a number ≥ 1, got 0.5',
    ],
    [
      'staleAfterMs NaN',
      { staleAfterMs: Number.NaN },
      'health threshold staleAfterMs (staleAfterSeconds in the config file): must be a number of seconds > 0, got NaN',
    ],
    [
      'max below base',
      { recoverySuccesses: 4, recoveryMaxSuccesses: 3 },
      'health threshold recoveryMaxSuccesses: recoveryMaxSuccesses (3) must be ≥ recoverySuccesses (4)',
    ],
    ['an unknown key', { windowSeconds: 5 }, "unknown health threshold 'windowSeconds'"],
  ])('when the override has %s, then it throws a RangeError with an exact message', (_name, overrides, message) => {
    expect(() => resolveThresholds(overrides as ThresholdOverrides)).toThrow(new RangeError(message));
  });
});

describe('requiredSuccessesForTrip', () => {
  it.each([
    [1, {}, 2],
    [2, {}, 4],
    [3, {}, 8],
    [4, {}, 8],
    [0, {}, 2],
    [2, { recoveryBackoffFactor: 1.5 }, 3],
    [3, { recoveryBackoffFactor: 1.5 }, 5],
    [5, { recoveryBackoffFactor: 1 }, 2],
  ])('when it is trip %i with %o, then %i successful probes are needed', (trip, overrides, expected) => {
    expect(requiredSuccessesForTrip(trip, resolveThresholds(overrides))).toBe(expected);
  });
});

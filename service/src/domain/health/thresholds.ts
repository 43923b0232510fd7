// Default health thresholds, per-model overrides, and their validation.
import type { HealthThresholds, ResolvedThresholds } from './types.js';

const MIN_STALE_AFTER_MS = 30_000;

export const DEFAULT_THRESHOLDS: Readonly<HealthThresholds> = Object.freeze({
  windowMs: 300_000,
  maxSamples: 2048,
  minSamples: 5,
  unhealthyConsecutiveFailures: 3,
  unhealthyErrorRate: 0.5,
  degradedErrorRate: 0.1,
  latencySloMs: 3000,
  // p95 > SLO means more than ~5% of calls are slow, so at 5% the slow share explains the p95 verdict.
  slowCallRate: 0.05,
  rateLimitedRecentMs: 60_000,
  recoverySuccesses: 2,
  recoveryBackoffFactor: 2,
  recoveryMaxSuccesses: 8,
  tripMemoryMs: 600_000,
  probeIntervalMs: 10_000,
  unhealthyProbeIntervalMs: 5_000,
});

type NumericKey = keyof Required<HealthThresholds>;
type Check = { test: (value: number) => boolean; expected: string };

const positiveInteger: Check = { test: (v) => Number.isInteger(v) && v >= 1, expected: 'an integer ≥ 1' };
const positiveDuration: Check = { test: (v) => Number.isFinite(v) && v > 0, expected: 'a finite number of ms > 0' };
const durationOrZero: Check = { test: (v) => Number.isFinite(v) && v >= 0, expected: 'a finite number of ms ≥ 0' };
// A rate above 1 can never be reached: that is how a rule is switched off.
const positiveRate: Check = {
  test: (v) => Number.isFinite(v) && v > 0,
  expected: 'a ratio > 0 (above 1 disables the rule)',
};
const factorAtLeastOne: Check = { test: (v) => Number.isFinite(v) && v >= 1, expected: 'a finite number ≥ 1' };

const CHECKS: Record<NumericKey, Check> = {
  windowMs: positiveDuration,
  maxSamples: positiveInteger,
  minSamples: positiveInteger,
  unhealthyConsecutiveFailures: positiveInteger,
  unhealthyErrorRate: positiveRate,
  degradedErrorRate: positiveRate,
  latencySloMs: positiveDuration,
  slowCallRate: positiveRate,
  rateLimitedRecentMs: durationOrZero,
  recoverySuccesses: positiveInteger,
  recoveryBackoffFactor: factorAtLeastOne,
  recoveryMaxSuccesses: positiveInteger,
  tripMemoryMs: durationOrZero,
  probeIntervalMs: positiveDuration,
  unhealthyProbeIntervalMs: positiveDuration,
  staleAfterMs: positiveDuration,
};

/**
 * Defaults merged with overrides (undefined override values are ignored), validated, with
 * staleAfterMs filled as max(3 × probeIntervalMs, 30 s). Throws RangeError naming the bad field.
 * The result is frozen: snapshots share it.
 */
export function resolveThresholds(overrides: Partial<HealthThresholds> = {}): ResolvedThresholds {
  const merged: HealthThresholds = { ...DEFAULT_THRESHOLDS };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) continue;
    if (!(key in CHECKS)) throw new RangeError(`unknown health threshold '${key}'`);
    (merged as unknown as Record<string, unknown>)[key] = value;
  }
  const resolved: Required<HealthThresholds> = {
    ...merged,
    staleAfterMs: merged.staleAfterMs ?? Math.max(3 * merged.probeIntervalMs, MIN_STALE_AFTER_MS),
  };
  validate(resolved);
  return Object.freeze(resolved);
}

function validate(thresholds: Required<HealthThresholds>): void {
  for (const key of Object.keys(CHECKS) as NumericKey[]) {
    const value: unknown = thresholds[key];
    const check = CHECKS[key];
    if (typeof value !== 'number' || !check.test(value)) {
      const shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
      throw new RangeError(`health threshold ${key} must be ${check.expected}, got ${shown}`);
    }
  }
  if (thresholds.recoveryMaxSuccesses < thresholds.recoverySuccesses) {
    throw new RangeError(
      `health threshold recoveryMaxSuccesses (${thresholds.recoveryMaxSuccesses}) must be ≥ recoverySuccesses (${thresholds.recoverySuccesses})`,
    );
  }
}

/**
 * Probe streak needed to leave unhealthy on the `trip`-th trip of a run (1-based):
 * min(recoverySuccesses × factor^(trip − 1), recoveryMaxSuccesses), rounded up.
 * Envoy does the same with ejection time (base × times ejected, capped); we ask for more proof
 * instead of more time, because recovery on a timer proves nothing.
 */
export function requiredSuccessesForTrip(trip: number, thresholds: ResolvedThresholds): number {
  const reTrips = Math.max(trip - 1, 0);
  const raw = thresholds.recoverySuccesses * thresholds.recoveryBackoffFactor ** reTrips;
  return Math.min(Math.ceil(raw), thresholds.recoveryMaxSuccesses);
}

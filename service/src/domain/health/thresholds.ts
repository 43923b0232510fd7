// Defaults, per-model overrides and validation of the health thresholds, all derived from their
// declarations (threshold-declarations.ts).
import { DEFAULT_PROBE_PLAN } from '../probe-plan.js';
import {
  CROSS_THRESHOLD_RULES,
  THRESHOLD_DECLARATIONS,
  thresholdValueProblem,
  toFileUnit,
  type ThresholdDeclaration,
  type ThresholdKey,
} from './threshold-declarations.js';
import type { HealthThresholds, ResolvedThresholds, ThresholdOverrides } from './types.js';

const DECLARATION_OF: ReadonlyMap<string, ThresholdDeclaration> = new Map(
  THRESHOLD_DECLARATIONS.map((d) => [d.key, d]),
);

/** Every threshold's default for a model probed every `probeIntervalMs`. */
export function defaultThresholds(probeIntervalMs: number = DEFAULT_PROBE_PLAN.intervalMs): ResolvedThresholds {
  const defaults = Object.fromEntries(
    THRESHOLD_DECLARATIONS.map((d) => [
      d.key,
      typeof d.default === 'number' ? d.default : d.default.fromProbeIntervalMs(probeIntervalMs),
    ]),
  ) as HealthThresholds;
  return Object.freeze(defaults);
}

/** The defaults of a model probed at the default interval. */
export const DEFAULT_THRESHOLDS: ResolvedThresholds = defaultThresholds();

/**
 * Defaults merged with overrides (undefined override values are ignored), validated. A default that
 * depends on the sample cadence (staleAfterMs) uses `probeIntervalMs`. Throws RangeError naming the
 * bad field. The result is frozen: snapshots share it.
 */
export function resolveThresholds(
  overrides: ThresholdOverrides = {},
  probeIntervalMs: number = DEFAULT_PROBE_PLAN.intervalMs,
): ResolvedThresholds {
  const merged: Record<string, unknown> = { ...defaultThresholds(probeIntervalMs) };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) continue;
    if (!DECLARATION_OF.has(key)) throw new RangeError(`unknown health threshold '${key}'`);
    merged[key] = value;
  }
  const [first] = thresholdProblems(merged);
  if (first !== undefined) throw new RangeError(`health threshold ${label(first.key)}: ${first.message}`);
  return Object.freeze(merged as HealthThresholds);
}

export interface ThresholdProblem {
  /** The threshold blamed. */
  key: ThresholdKey;
  message: string;
  /** Every threshold behind the problem: the key itself, or all those a cross rule reads. */
  reads: readonly ThresholdKey[];
}

/** What is wrong with a full set of thresholds: each value against its range, then (if those pass) the cross rules. */
export function thresholdProblems(thresholds: Readonly<Record<string, unknown>>): ThresholdProblem[] {
  const problems = valueProblems(thresholds);
  return problems.length > 0 ? problems : crossThresholdProblems(thresholds as HealthThresholds);
}

function valueProblems(thresholds: Readonly<Record<string, unknown>>): ThresholdProblem[] {
  const problems: ThresholdProblem[] = [];
  for (const declaration of THRESHOLD_DECLARATIONS) {
    const value = thresholds[declaration.key];
    const problem = thresholdValueProblem(declaration, value);
    if (problem !== null) {
      problems.push({
        key: declaration.key,
        message: `${problem}, got ${shown(declaration, value)}`,
        reads: [declaration.key],
      });
    }
  }
  return problems;
}

/** The rules between thresholds, over values that are each allowed. */
export function crossThresholdProblems(thresholds: Readonly<HealthThresholds>): ThresholdProblem[] {
  return CROSS_THRESHOLD_RULES.flatMap((rule) => {
    const message = rule.problem(thresholds);
    return message === null ? [] : [{ key: rule.key, message, reads: rule.reads }];
  });
}

/** The engine's name, and the file's when it differs (durations: windowMs is windowSeconds in the file). */
function label(key: ThresholdKey): string {
  const configName = DECLARATION_OF.get(key)?.configName ?? key;
  return configName === key ? key : `${key} (${configName} in the config file)`;
}

/** The value as the config file would write it: seconds for durations, so the message matches its range. */
function shown(declaration: ThresholdDeclaration, value: unknown): string {
  if (typeof value === 'number') return String(toFileUnit(declaration, value));
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/**
 * Probe streak needed to leave unhealthy on the `trip`-th trip of a run (1-based):
 * min(recoverySuccesses × factor^(trip − 1), recoveryMaxSuccesses), rounded up.
 * Envoy does the same with ejection time (base × times ejected, capped); we ask for more proof
 * instead of more time, because recovery on a timer proves nothing.
 */
export function requiredSuccessesForTrip(
  trip: number,
  thresholds: ResolvedThresholds,
  base: number = thresholds.recoverySuccesses,
): number {
  const reTrips = Math.max(trip - 1, 0);
  const raw = base * thresholds.recoveryBackoffFactor ** reTrips;
  return Math.min(Math.ceil(raw), Math.max(thresholds.recoveryMaxSuccesses, base));
}

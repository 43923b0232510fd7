// The one home of every health threshold: its name in the engine and in the config file, its unit,
// default, allowed range and meaning. The config schema, the defaults, the checks, the seconds→ms
// mapping and the README's table are all derived from THRESHOLD_DECLARATIONS; adding a threshold is
// one entry here plus the rule that reads it (rules.ts) and its tests.

/** The unit a person writes in the config file. Durations in seconds become milliseconds in the engine. */
export type FileUnit = 'seconds' | 'ms' | 'count' | 'ratio' | 'factor';

/** Allowed values, in the ENGINE's unit (ms for durations). Every value must also be finite. */
export interface ThresholdRange {
  min: number;
  /** True: the value must be above `min`; false: at least `min`. */
  minExclusive: boolean;
  max?: number;
  integer?: boolean;
}

/** A default that depends on the probe interval (the sample cadence), with its README wording. */
export interface DerivedDefault {
  fromProbeIntervalMs: (probeIntervalMs: number) => number;
  text: string;
}

export interface ThresholdDeclaration {
  /** Field of HealthThresholds, in engine units. */
  key: string;
  /** Field under `health:` (and `models[].health:`) in the config file. */
  configName: string;
  unit: FileUnit;
  /** In engine units (ms for durations). */
  default: number | DerivedDefault;
  range: ThresholdRange;
  /** What it means, one line; the README's "meaning" column. */
  meaning: string;
}

const MIN_STALE_AFTER_MS = 30_000;
const STALE_AFTER_PROBE_INTERVALS = 3;

const positiveDuration: ThresholdRange = { min: 0, minExclusive: true };
const durationOrZero: ThresholdRange = { min: 0, minExclusive: false };
const positiveInteger: ThresholdRange = { min: 1, minExclusive: false, integer: true };
// A rate above 1 can never be reached: that is how a rate rule is switched off.
const positiveRate: ThresholdRange = { min: 0, minExclusive: true };

export const THRESHOLD_DECLARATIONS = [
  {
    key: 'windowMs',
    configName: 'windowSeconds',
    unit: 'seconds',
    default: 300_000,
    range: positiveDuration,
    meaning: 'rolling window of samples the figures and rates are computed over',
  },
  {
    key: 'maxSamples',
    configName: 'maxSamples',
    unit: 'count',
    default: 2048,
    range: { min: 1, minExclusive: false, max: 100_000, integer: true },
    meaning: 'ring-buffer cap per model: bounds memory whatever the traffic',
  },
  {
    key: 'minSamples',
    configName: 'minSamples',
    unit: 'count',
    default: 5,
    range: positiveInteger,
    meaning: 'samples in the window before error rates and p95 count',
  },
  {
    key: 'unhealthyConsecutiveFailures',
    configName: 'unhealthyConsecutiveFailures',
    unit: 'count',
    default: 3,
    range: positiveInteger,
    meaning: 'this many hard failures in a row: unhealthy',
  },
  {
    key: 'unhealthyErrorRate',
    configName: 'unhealthyErrorRate',
    unit: 'ratio',
    default: 0.5,
    range: positiveRate,
    meaning: 'error rate at or above it: unhealthy (above 1 disables the rule)',
  },
  {
    key: 'degradedErrorRate',
    configName: 'degradedErrorRate',
    unit: 'ratio',
    default: 0.1,
    range: positiveRate,
    meaning: 'error rate at or above it: degraded (above 1 disables the rule)',
  },
  {
    key: 'latencySloMs',
    configName: 'latencySloMs',
    unit: 'ms',
    default: 3000,
    range: positiveDuration,
    meaning: 'p95 latency of successful calls above it: degraded',
  },
  {
    key: 'slowCallRate',
    configName: 'slowCallRate',
    unit: 'ratio',
    // p95 > SLO means more than ~5% of calls are slow, so at 5% the slow share explains the p95 verdict.
    default: 0.05,
    range: positiveRate,
    meaning: 'share of calls slower than the SLO from which the reason names it (reported, not a rule)',
  },
  {
    key: 'rateLimitedRecentMs',
    configName: 'rateLimitedRecentSeconds',
    unit: 'seconds',
    default: 60_000,
    range: durationOrZero,
    meaning: 'a 429 this recent: degraded (0 disables the rule)',
  },
  {
    key: 'recoverySuccesses',
    configName: 'recoverySuccesses',
    unit: 'count',
    default: 2,
    range: positiveInteger,
    meaning: 'successful probes in a row to leave unhealthy (first trip)',
  },
  {
    key: 'recoveryBackoffFactor',
    configName: 'recoveryBackoffFactor',
    unit: 'factor',
    default: 2,
    range: { min: 1, minExclusive: false },
    meaning: 'each re-trip within the trip memory multiplies the needed streak by this',
  },
  {
    key: 'recoveryMaxSuccesses',
    configName: 'recoveryMaxSuccesses',
    unit: 'count',
    default: 8,
    range: positiveInteger,
    meaning: 'cap of the needed streak (at least recoverySuccesses)',
  },
  {
    key: 'tripMemoryMs',
    configName: 'tripMemorySeconds',
    unit: 'seconds',
    default: 600_000,
    range: durationOrZero,
    meaning: 'a trip this soon after a recovery is a re-trip (0: never)',
  },
  {
    key: 'hedgeFactor',
    configName: 'hedgeFactor',
    unit: 'factor',
    // The Tail at Scale: hedge near p95, so a healthy model is hedged on a few starts in a hundred at most.
    default: 1.5,
    range: { min: 1, minExclusive: false },
    meaning: 'hedge delay = this × TTFT p95, within [hedgeFloorMs, hedgeCapMs]; also the first-token budget',
  },
  {
    key: 'hedgeFloorMs',
    configName: 'hedgeFloorMs',
    unit: 'ms',
    default: 500,
    range: positiveDuration,
    meaning: 'shortest hedge delay: a very fast model is not hedged on noise',
  },
  {
    key: 'hedgeCapMs',
    configName: 'hedgeCapMs',
    unit: 'ms',
    // A candidate notices about 2 s of silence: never wait longer than 3 s before trying the next model.
    default: 3000,
    range: positiveDuration,
    meaning: 'longest hedge delay, and the delay while there are fewer than minSamples samples',
  },
  {
    key: 'hedgeDelayMs',
    configName: 'hedgeDelayMs',
    unit: 'ms',
    default: 0,
    range: durationOrZero,
    meaning: 'a fixed hedge delay (and first-token budget) instead of the derived one (0: derived)',
  },
  {
    key: 'noFirstTokenRun',
    configName: 'noFirstTokenRun',
    unit: 'count',
    default: 3,
    range: positiveInteger,
    meaning: 'this many calls in a row with no first token within the hedge delay (in flight or given up): degraded',
  },
  {
    key: 'degradedRecoverySuccesses',
    configName: 'degradedRecoverySuccesses',
    unit: 'count',
    default: 3,
    range: positiveInteger,
    meaning:
      'successful probes within the SLO in a row that bring a degraded model back (first trip; re-trip backoff applies)',
  },
  {
    key: 'staleAfterMs',
    configName: 'staleAfterSeconds',
    unit: 'seconds',
    default: {
      fromProbeIntervalMs: (probeIntervalMs: number) =>
        Math.max(STALE_AFTER_PROBE_INTERVALS * probeIntervalMs, MIN_STALE_AFTER_MS),
      text: 'max(3 × probe interval, 30)',
    },
    range: positiveDuration,
    meaning: 'no sample for this long: unknown (unhealthy stays unhealthy)',
  },
] as const satisfies readonly ThresholdDeclaration[];

export type ThresholdKey = (typeof THRESHOLD_DECLARATIONS)[number]['key'];
export type ThresholdConfigName = (typeof THRESHOLD_DECLARATIONS)[number]['configName'];

/** Every threshold the engine reads, in engine units (ms for durations). */
export type HealthThresholds = { [K in ThresholdKey]: number };

/** A relation between two thresholds, checked after the values are merged; blamed on `key`. */
export interface CrossThresholdRule {
  key: ThresholdKey;
  /** Every threshold the rule reads: a setting of any of them can be the one to blame. */
  reads: readonly ThresholdKey[];
  problem: (t: Readonly<HealthThresholds>) => string | null;
}

export const CROSS_THRESHOLD_RULES: readonly CrossThresholdRule[] = [
  {
    key: 'recoveryMaxSuccesses',
    reads: ['recoverySuccesses', 'recoveryMaxSuccesses'],
    problem: (t) =>
      t.recoveryMaxSuccesses >= t.recoverySuccesses
        ? null
        : `recoveryMaxSuccesses (${t.recoveryMaxSuccesses}) must be ≥ recoverySuccesses (${t.recoverySuccesses})`,
  },
  {
    key: 'hedgeCapMs',
    reads: ['hedgeFloorMs', 'hedgeCapMs'],
    problem: (t) =>
      t.hedgeCapMs >= t.hedgeFloorMs ? null : `hedgeCapMs (${t.hedgeCapMs}) must be ≥ hedgeFloorMs (${t.hedgeFloorMs})`,
  },
];

const MS_PER_FILE_UNIT: Record<FileUnit, number> = { seconds: 1000, ms: 1, count: 1, ratio: 1, factor: 1 };

/** The engine's value for a value written in the config file (seconds → whole ms). */
export function fromFileUnit(declaration: ThresholdDeclaration, fileValue: number): number {
  const scale = MS_PER_FILE_UNIT[declaration.unit];
  return scale === 1 ? fileValue : Math.round(fileValue * scale);
}

/** The config file's value for an engine value (ms → seconds). */
export function toFileUnit(declaration: ThresholdDeclaration, engineValue: number): number {
  return engineValue / MS_PER_FILE_UNIT[declaration.unit];
}

const UNIT_WORDS: Record<FileUnit, string> = {
  seconds: 'a number of seconds',
  ms: 'a number of ms',
  count: 'a number',
  ratio: 'a ratio',
  factor: 'a number',
};

/** The allowed range in the file's unit, e.g. "a number of seconds > 0" or "an integer from 1 to 100000". */
export function describeRange(declaration: ThresholdDeclaration): string {
  const { range } = declaration;
  const min = toFileUnit(declaration, range.min);
  const max = range.max === undefined ? undefined : toFileUnit(declaration, range.max);
  const what = range.integer ? 'an integer' : UNIT_WORDS[declaration.unit];
  if (max !== undefined) return `${what} from ${min} to ${max}`;
  return `${what} ${range.minExclusive ? '>' : '≥'} ${min}`;
}

/** Null when the engine value is allowed, else why not (in the file's terms, as both validators report it). */
export function thresholdValueProblem(declaration: ThresholdDeclaration, engineValue: unknown): string | null {
  const { range } = declaration;
  const allowed =
    typeof engineValue === 'number' &&
    Number.isFinite(engineValue) &&
    (range.minExclusive ? engineValue > range.min : engineValue >= range.min) &&
    (range.max === undefined || engineValue <= range.max) &&
    (!range.integer || Number.isInteger(engineValue));
  return allowed ? null : `must be ${describeRange(declaration)}`;
}

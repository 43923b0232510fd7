// Types of the health engine. Pure data: no I/O, no clock reads.
import type { HealthThresholds } from './threshold-declarations.js';

export type { HealthThresholds } from './threshold-declarations.js';

/** Outcome classes, the closed set shared by agent, service and metrics (docs/contracts.md). */
export const OUTCOMES = [
  'success',
  'timeout',
  'connection',
  'rate_limited',
  'overloaded',
  'server_error',
  'auth',
  'not_found',
  'bad_request',
  'invalid_response',
] as const;
export type Outcome = (typeof OUTCOMES)[number];

export const HEALTH_STATES = ['healthy', 'degraded', 'unhealthy', 'unknown'] as const;
export type HealthState = (typeof HEALTH_STATES)[number];

/** `probe`: our own scheduled check. `interview`: a real (passive) call; it counts in the verdict but not as recovery proof. */
export type SampleSource = 'probe' | 'interview';
export const SAMPLE_SOURCES = ['probe', 'interview'] as const satisfies readonly SampleSource[];

/** One observed call. `at` is epoch ms. */
export interface Sample {
  at: number;
  source: SampleSource;
  outcome: Outcome;
  latencyMs: number;
  ttftMs: number | null;
  httpStatus?: number | null;
  errorMessage?: string | null;
  /**
   * When the call started (epoch ms); default `at − latencyMs`. A sample whose call started before
   * the model's window was last reset (recovery, forgiveness) is a late completion and is dropped.
   */
  startedAt?: number;
  /** The id given to callStarted, if the call was tracked in flight. */
  callId?: string;
}

/**
 * A hard failure is any outcome but `success` and `rate_limited`. A 429 says the provider is up
 * but throttling us: it degrades the model (rateLimitedRecentMs) but never trips it to unhealthy.
 */
export function isHardFailure(outcome: Outcome): boolean {
  return outcome !== 'success' && outcome !== 'rate_limited';
}

/** Thresholds in force for one model: every declared threshold filled and checked (thresholds.ts). */
export type ResolvedThresholds = Readonly<HealthThresholds>;

/** Per-model settings over the defaults; a missing or undefined field keeps the default. */
export type ThresholdOverrides = { [K in keyof HealthThresholds]?: number | undefined };

/**
 * Latency percentiles, nearest-rank over the window. `latency` is over SUCCESSFUL samples only
 * (a fast 500 must not make p95 look good); `ttft` over every sample that has a ttftMs.
 * Null when there is no such sample. Reported even below minSamples; the rules ignore them there.
 */
export interface LatencyFigures {
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
}

export interface LastError {
  at: number;
  outcome: Outcome;
  httpStatus: number | null;
  message: string | null;
}

export interface HealthSnapshot {
  modelId: string;
  state: HealthState;
  /** Why, in words and numbers. */
  reason: string;
  /** When the model entered `state` (engine clock, epoch ms). */
  since: number;
  latency: LatencyFigures;
  ttft: LatencyFigures;
  /** Hard failures / samples in the window (429s count as samples, not as errors); null on an empty window. */
  errorRate: number | null;
  /** Successful calls slower than latencySloMs / successful calls; null without successes. */
  slowCallRate: number | null;
  /** Counts over the current window. */
  samples: { total: number; bySource: Record<SampleSource, number>; byOutcome: Record<Outcome, number> };
  /** Hard failures in a row, any source (429s neither count nor break the run). */
  consecutiveFailures: number;
  /**
   * Successful PROBES in a row: the recovery streak. Interview successes neither count nor break it;
   * a hard failure of any source or a probe that did not succeed (429 included) resets it.
   */
  consecutiveSuccesses: number;
  /**
   * While unhealthy: the probe streak needed to recover now. Otherwise: the streak a trip right now
   * would need (so the backoff is visible before it bites).
   */
  requiredSuccesses: number;
  /**
   * Trips in the current run: a trip within tripMemoryMs of the previous recovery extends the run,
   * otherwise the run restarts at 1; back to 0 once the model stays out of unhealthy for tripMemoryMs.
   */
  trips: number;
  lastSampleAt: number | null;
  lastProbeAt: number | null;
  lastSuccessAt: number | null;
  /** Last sample that was not a success (rate_limited included). */
  lastError: LastError | null;
  /** How long a start waits for this model's first token before it also tries the next candidate (hedge-delay.ts). */
  hedgeDelayMs: number;
  /** Calls in flight that have not had their first token yet. */
  inFlight: number;
  /** First-token misses in a row (censored, late, or aged in flight): noFirstTokenRun of them => degraded. */
  firstTokenMisses: number;
  /** A confirmation run is open: probe every confirm interval until confirmed unhealthy or a success. */
  confirming: boolean;
  /** While degraded: probes within the SLO in a row, and how many bring it back. */
  forgiveness: { streak: number; required: number };
  thresholds: ResolvedThresholds;
}

/**
 * Reading the verdicts, for everything but the recorder: routes, the scheduler and the interview
 * starter read health; only the recorder (app/health-recorder.ts) adds samples.
 */
export interface HealthReader {
  /** The verdict cached at the last sample or tick: O(1), frozen. Throws on an unknown id. */
  snapshot(modelId: string): HealthSnapshot;
  /** In registration order. */
  snapshots(): HealthSnapshot[];
  /** A confirmation run is open for the model: probe it at the confirm interval. */
  isConfirming(modelId: string): boolean;
}

export interface Transition {
  modelId: string;
  at: number;
  from: HealthState;
  to: HealthState;
  reason: string;
}

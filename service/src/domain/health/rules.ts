// The state decision: a pure function from the window figures and counters to a verdict.
//
// Order matters, the first rule that applies wins:
//   1. unknown    no sample ever, or the newest sample is staleAfterMs old or older
//   2. unhealthy  unhealthyConsecutiveFailures hard failures in a row, or, with ≥ minSamples in the
//                 window, error rate ≥ unhealthyErrorRate
//   3. degraded   with ≥ minSamples successful samples, p95 latency > latencySloMs; with ≥ minSamples
//                 samples, error rate ≥ degradedErrorRate; a 429 younger than rateLimitedRecentMs
//                 (no minimum: one 429 is already a fact about the provider); noFirstTokenRun calls in a
//                 row with no first token within the first-token budget (first-token.ts)
//   4. healthy    at least one success in the window
//   5. unknown    samples but no success yet (e.g. one failure on a new model: not enough to judge)
// Holding a model in unhealthy until it proves recovery is the state machine's job (model-health.ts),
// not this function's.
import {
  NO_SAMPLES_YET,
  consecutiveFailuresReason,
  errorRateReason,
  formatDuration,
  formatPercent,
  latencyBasis,
  plural,
  rateLimitedReason,
  slowCallsNote,
  staleReason,
  describeOutcome,
  noFirstTokenReason,
} from './reason.js';
import type { HealthState, Outcome, ResolvedThresholds } from './types.js';
import type { WindowFigures } from './window.js';

export interface FailureFact {
  at: number;
  outcome: Outcome;
  httpStatus: number | null;
}

export interface RuleInput {
  now: number;
  thresholds: ResolvedThresholds;
  figures: WindowFigures;
  consecutiveFailures: number;
  lastHardFailure: FailureFact | null;
  lastRateLimited: FailureFact | null;
  lastSampleAt: number | null;
  /** First-token misses in a row, and the budget they missed (the hedge delay). */
  firstTokenMisses: number;
  firstTokenBudgetMs: number;
}

export interface Verdict {
  state: HealthState;
  reason: string;
}

export function decideState(input: RuleInput): Verdict {
  if (input.lastSampleAt === null) return { state: 'unknown', reason: NO_SAMPLES_YET };
  const stale = staleness(input);
  if (stale !== null) return { state: 'unknown', reason: stale };
  const tripping = unhealthyReasons(input);
  if (tripping.length > 0) return { state: 'unhealthy', reason: tripping.join('; ') };
  const degrading = degradedReasons(input);
  if (degrading.length > 0) return { state: 'degraded', reason: degrading.join('; ') };
  if (input.figures.successes > 0) return { state: 'healthy', reason: healthyReason(input) };
  return { state: 'unknown', reason: noSuccessReason(input) };
}

/** The stale reason, or null while the newest sample is younger than staleAfterMs. */
export function staleness(input: RuleInput): string | null {
  if (input.lastSampleAt === null) return null;
  const age = input.now - input.lastSampleAt;
  return age >= input.thresholds.staleAfterMs ? staleReason(age, input.thresholds.staleAfterMs) : null;
}

/** Why the model is unhealthy right now, if it is: used both to trip and to explain a hold. */
export function unhealthyReasons(input: RuleInput): string[] {
  const { thresholds, figures } = input;
  const reasons: string[] = [];
  if (input.consecutiveFailures >= thresholds.unhealthyConsecutiveFailures && input.lastHardFailure !== null) {
    const last = input.lastHardFailure;
    reasons.push(consecutiveFailuresReason(input.consecutiveFailures, last.outcome, last.httpStatus));
  }
  const errorRate = figures.errorRate;
  if (figures.total >= thresholds.minSamples && errorRate !== null && errorRate >= thresholds.unhealthyErrorRate) {
    reasons.push(errorRateReason(errorRate, thresholds.unhealthyErrorRate, figures.total));
  }
  return reasons;
}

export function degradedReasons(input: RuleInput): string[] {
  const { thresholds, figures } = input;
  const reasons: string[] = [];
  const p95 = figures.latency.p95Ms;
  if (figures.successes >= thresholds.minSamples && p95 !== null && p95 > thresholds.latencySloMs) {
    const basis = latencyBasis(figures.successes, figures.total);
    reasons.push(
      `p95 ${formatDuration(p95)} > SLO ${formatDuration(thresholds.latencySloMs)} over ${basis}${slowSuffix(input)}`,
    );
  }
  const errorRate = figures.errorRate;
  if (figures.total >= thresholds.minSamples && errorRate !== null && errorRate >= thresholds.degradedErrorRate) {
    reasons.push(errorRateReason(errorRate, thresholds.degradedErrorRate, figures.total));
  }
  const rateLimited = input.lastRateLimited;
  if (rateLimited !== null && input.now - rateLimited.at < thresholds.rateLimitedRecentMs) {
    reasons.push(rateLimitedReason(input.now - rateLimited.at, rateLimited.httpStatus));
  }
  if (input.firstTokenMisses >= thresholds.noFirstTokenRun) {
    reasons.push(noFirstTokenReason(input.firstTokenMisses, input.firstTokenBudgetMs));
  }
  return reasons;
}

/** "p95 412 ms ≤ SLO 3 s, error rate 0% over 12 samples", or what is still missing to judge. */
function healthyReason(input: RuleInput): string {
  const { thresholds, figures } = input;
  const p95 = figures.latency.p95Ms ?? 0;
  const slo = formatDuration(thresholds.latencySloMs);
  const enoughSamples = figures.total >= thresholds.minSamples;
  const enoughSuccesses = figures.successes >= thresholds.minSamples;
  const latencyPart = enoughSuccesses
    ? `p95 ${formatDuration(p95)} ≤ SLO ${slo}${slowSuffix(input)}`
    : `p95 ${formatDuration(p95)} over ${plural(figures.successes, 'success', 'successes')} (SLO check needs ${thresholds.minSamples})`;
  const basisPart =
    enoughSuccesses && figures.successes !== figures.total
      ? ` over ${latencyBasis(figures.successes, figures.total)}`
      : '';
  const ratePart = enoughSamples
    ? `error rate ${formatPercent(figures.errorRate ?? 0)} over ${plural(figures.total, 'sample')}`
    : `${plural(figures.total, 'sample')} (rates need ${thresholds.minSamples})`;
  return `${latencyPart}${basisPart}, ${ratePart}`;
}

function noSuccessReason(input: RuleInput): string {
  if (input.figures.total === 0) return `no sample in the window (last ${formatDuration(input.thresholds.windowMs)})`;
  const last = input.lastHardFailure;
  const lastPart = last === null ? '' : `, last failure ${describeOutcome(last.outcome, last.httpStatus)}`;
  return `no success in the window yet: ${plural(input.figures.total, 'sample')}${lastPart}`;
}

/** The slow-call share is reported, not a rule: it is named once it reaches the slowCallRate threshold. */
function slowSuffix(input: RuleInput): string {
  const share = input.figures.slowCallRate;
  return share !== null && share > 0 && share >= input.thresholds.slowCallRate ? ` (${slowCallsNote(share)})` : '';
}

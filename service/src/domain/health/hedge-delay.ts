// The hedge delay of a model: how long a start waits for its first token before it also tries the
// next candidate. The same figure is the model's first-token budget: a call with no first token after
// it is a first-token miss (first-token.ts).
import type { LatencyFigures, ResolvedThresholds } from './types.js';

export interface TtftEvidence {
  /** TTFT percentiles over the window (any outcome with a first token). */
  ttft: LatencyFigures;
  /** Samples in the window: the p95 only counts with at least minSamples of them. */
  total: number;
}

/**
 * clamp(hedgeFactor × TTFT p95, hedgeFloorMs, hedgeCapMs), or hedgeDelayMs when set in config (not 0).
 * Without enough evidence (fewer than minSamples samples, or no TTFT at all) the cap: a model we know
 * nothing about gets the longest wait we would ever allow, not a hedge on noise.
 */
export function hedgeDelayMs(evidence: TtftEvidence, thresholds: ResolvedThresholds): number {
  if (thresholds.hedgeDelayMs > 0) return thresholds.hedgeDelayMs;
  const p95 = evidence.ttft.p95Ms;
  if (p95 === null || evidence.total < thresholds.minSamples) return thresholds.hedgeCapMs;
  const derived = Math.round(thresholds.hedgeFactor * p95);
  return Math.min(Math.max(derived, thresholds.hedgeFloorMs), thresholds.hedgeCapMs);
}

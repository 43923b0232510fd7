// How often and how a model is probed: the scheduler's plan, not a health threshold. The health
// engine only learns the interval to size its staleness default (thresholds.ts).
import type { HealthState } from './health/index.js';

export interface ProbePlan {
  intervalMs: number;
  /** Shorter while unhealthy, so recovery is proven sooner (Envoy probes sick hosts faster too). */
  unhealthyIntervalMs: number;
  timeoutMs: number;
  /** Random delay added to each interval, so probes of many models do not fire in lockstep. */
  jitterMs: number;
  maxTokens: number;
}

export const DEFAULT_PROBE_PLAN: Readonly<ProbePlan> = Object.freeze({
  intervalMs: 10_000,
  unhealthyIntervalMs: 5_000,
  timeoutMs: 10_000,
  jitterMs: 1_000,
  maxTokens: 1,
});

/** The interval to the next probe of a model in `state`. */
export function probeIntervalFor(
  plan: Pick<ProbePlan, 'intervalMs' | 'unhealthyIntervalMs'>,
  state: HealthState,
): number {
  return state === 'unhealthy' ? plan.unhealthyIntervalMs : plan.intervalMs;
}

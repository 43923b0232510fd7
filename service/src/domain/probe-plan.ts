// How often and how a model is probed: the scheduler's plan, not a health threshold. The health
// engine only learns the interval to size its staleness default (thresholds.ts).
import type { HealthState } from './health/index.js';

export interface ProbePlan {
  intervalMs: number;
  /** Shorter while unhealthy, so recovery is proven sooner (Envoy probes sick hosts faster too). */
  unhealthyIntervalMs: number;
  /** Shorter while degraded, so forgiveness (a streak of probes within the SLO) is proven sooner. */
  degradedIntervalMs: number;
  /** While a failure is being confirmed (health/confirmation.ts): Kubernetes' short period while failing. */
  confirmIntervalMs: number;
  timeoutMs: number;
  /** Random delay added to each interval, so probes of many models do not fire in lockstep. */
  jitterMs: number;
  maxTokens: number;
}

export const DEFAULT_PROBE_PLAN: Readonly<ProbePlan> = Object.freeze({
  intervalMs: 10_000,
  unhealthyIntervalMs: 5_000,
  degradedIntervalMs: 5_000,
  confirmIntervalMs: 1_000,
  timeoutMs: 10_000,
  jitterMs: 1_000,
  maxTokens: 1,
});

export interface ProbeView {
  state: HealthState;
  /** A confirmation run is open (health/confirmation.ts). */
  confirming: boolean;
}

/** The interval to the next probe: the state's own, or the confirm interval while confirming (the shorter wins). */
export function probeIntervalFor(
  plan: Pick<ProbePlan, 'intervalMs' | 'unhealthyIntervalMs' | 'degradedIntervalMs' | 'confirmIntervalMs'>,
  view: ProbeView,
): number {
  const byState =
    view.state === 'unhealthy'
      ? plan.unhealthyIntervalMs
      : view.state === 'degraded'
        ? plan.degradedIntervalMs
        : plan.intervalMs;
  return view.confirming ? Math.min(plan.confirmIntervalMs, byState) : byState;
}

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

/**
 * Scheduled probes in flight at once (config `probes.maxConcurrent`): 1,000 models every 10 s at about a
 * second per probe is ~100. Beyond it due probes wait, oldest due first, and their lateness is reported.
 */
export const DEFAULT_MAX_CONCURRENT_PROBES = 100;

/**
 * The first probes after start are spread this far apart on average (over at least the jitter window and
 * at most one interval): 1,000 models do not all leave in the first second, and their phases stay spread.
 */
export const FIRST_PROBE_SPACING_MS = 10;

/** When the first probe of one of `modelCount` models is due after start: spread, not bunched. */
export function firstProbeDue(now: number, plan: ProbePlan, modelCount: number, random: () => number): number {
  const spread = Math.min(plan.intervalMs, Math.max(plan.jitterMs, modelCount * FIRST_PROBE_SPACING_MS));
  return now + Math.floor(random() * spread);
}

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

/**
 * Why a due probe gave no sample: the monitor's own state, never the provider's, so none of these is
 * evidence about the model (the health engine never sees them; they are counted and logged instead).
 * - `backlog`: the service could not send it within one interval of its due time (probe concurrency
 *   limit reached, or the service itself behind); the slot is dropped and the next probe scheduled.
 * - `agent_overloaded`: the agent answered 503 (overloaded) or 429: it sheds load, the provider was not called.
 * - `agent_unavailable`: the agent did not answer, or answered outside its contract.
 * - `agent_rejected`: the agent refused the model's configuration (422), e.g. a provider it does not have.
 */
export const PROBE_SKIP_REASONS = ['backlog', 'agent_overloaded', 'agent_unavailable', 'agent_rejected'] as const;
export type ProbeSkipReason = (typeof PROBE_SKIP_REASONS)[number];

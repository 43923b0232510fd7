import type { HealthState } from './health/index.js';

/**
 * Choosing the model an interview starts on: pure code over health verdicts that were already
 * computed, so the interview path never computes a percentile.
 */

export type CandidateSource = 'primary' | 'caller' | 'simulation' | 'auto';
export type FallbackSource = Exclude<CandidateSource, 'primary'>;
export const FALLBACK_REASONS = [
  'primary_unhealthy',
  'primary_degraded',
  'primary_failed',
  'primary_drained',
  'primary_slow',
  'no_healthy_model',
] as const;
export type FallbackReason = (typeof FALLBACK_REASONS)[number];

export interface HealthView {
  state: HealthState;
  reason: string;
  p95Ms: number | null;
}

export interface Candidate extends HealthView {
  modelId: string;
  source: CandidateSource;
}

export interface SelectionInput {
  primary: string;
  callerFallbacks: readonly string[];
  simulationFallbacks: readonly string[];
  /** Registered models in config order, with what `auto` ranks on. */
  registered: ReadonlyArray<{ id: string; tier: string | null; capabilities: readonly string[] }>;
  health: (modelId: string) => HealthView;
  /** Models an operator took out of rotation: tried only after every model that is not drained. */
  drained?: (modelId: string) => boolean;
}

export interface SelectionPlan {
  primary: Candidate;
  /** Models to try in order: the first is the choice; the rest are for runtime failover. */
  order: Candidate[];
  /** Why the first choice is not a healthy primary; null when it is the primary with nothing against it. */
  reason: FallbackReason | null;
  /** Every candidate considered, with its state, for the 503 answer and the audit record. */
  considered: Candidate[];
}

const STATE_RANK: Record<HealthState, number> = { healthy: 0, degraded: 1, unknown: 2, unhealthy: 3 };

function autoCandidates(input: SelectionInput, exclude: Set<string>): Candidate[] {
  const primary = input.registered.find((m) => m.id === input.primary);
  const kin = (m: SelectionInput['registered'][number]): boolean =>
    primary !== undefined &&
    ((m.tier !== null && m.tier === primary.tier) || m.capabilities.some((c) => primary.capabilities.includes(c)));
  const ranked = input.registered
    .filter((m) => !exclude.has(m.id))
    .map((m) => ({ kin: kin(m), c: { modelId: m.id, source: 'auto' as const, ...input.health(m.id) } }));
  // Same tier or capabilities first, then by state, then by lower p95 (unknown p95 last); stable otherwise.
  ranked.sort(
    (a, b) =>
      Number(b.kin) - Number(a.kin) ||
      STATE_RANK[a.c.state] - STATE_RANK[b.c.state] ||
      (a.c.p95Ms ?? Infinity) - (b.c.p95Ms ?? Infinity),
  );
  return ranked.map((r) => r.c);
}

/** Candidates other than the primary, deduplicated, in source order: caller, simulation, auto. */
export function orderedCandidates(input: SelectionInput): Candidate[] {
  const seen = new Set<string>([input.primary]);
  const out: Candidate[] = [];
  const add = (ids: readonly string[], source: FallbackSource): void => {
    for (const id of ids) {
      if (seen.has(id)) continue;
      seen.add(id);
      out.push({ modelId: id, source, ...input.health(id) });
    }
  };
  add(input.callerFallbacks, 'caller');
  add(input.simulationFallbacks, 'simulation');
  out.push(...autoCandidates(input, seen));
  return out;
}

/** Healthy candidates first, then degraded, then unknown; source order kept within a state. */
function byPreference(candidates: Candidate[]): Candidate[] {
  const usable = candidates.filter((c) => c.state !== 'unhealthy');
  return [...usable].sort((a, b) => STATE_RANK[a.state] - STATE_RANK[b.state]);
}

/** The plan among models that are not drained, the primary not drained either. */
function activePlan(primary: Candidate, preferred: Candidate[], considered: Candidate[]): SelectionPlan {
  const firstHealthy = preferred[0]?.state === 'healthy' ? preferred[0] : undefined;
  switch (primary.state) {
    case 'healthy':
    case 'unknown':
      return { primary, order: [primary, ...preferred], reason: null, considered };
    case 'degraded':
      if (firstHealthy) {
        // Only a healthy candidate replaces a degraded primary; if they all fail, the primary comes next.
        const healthy = preferred.filter((c) => c.state === 'healthy');
        const rest = preferred.filter((c) => c.state !== 'healthy');
        return { primary, order: [...healthy, primary, ...rest], reason: 'primary_degraded', considered };
      }
      return { primary, order: [primary, ...preferred], reason: null, considered };
    case 'unhealthy':
      if (preferred.length > 0) {
        return { primary, order: [...preferred, primary], reason: 'primary_unhealthy', considered };
      }
      return { primary, order: [primary], reason: 'no_healthy_model', considered };
  }
}

/** How a start ended: the model that served, and whether the primary was among the models tried. */
export interface StartEnding {
  servedBy: string;
  primaryTried: boolean;
  /** The primary was still running, with no first token, when a hedged attempt won (it was cancelled). */
  primaryCancelled?: boolean;
}

/**
 * Why the interview did not run on its primary as planned, or null when it did: the reason of the
 * fallback event. A candidate that served after the primary failed: `primary_failed`; one that served
 * instead of the primary: the plan's reason; one that won a hedge while the primary was still silent:
 * `primary_slow`. The primary that served although it was unhealthy:
 * nothing else was usable or everything else failed (`no_healthy_model`).
 */
export function fallbackReason(
  plan: Pick<SelectionPlan, 'primary' | 'reason'>,
  ending: StartEnding,
): FallbackReason | null {
  if (ending.servedBy !== plan.primary.modelId) {
    if (ending.primaryCancelled === true) return 'primary_slow';
    return ending.primaryTried ? 'primary_failed' : (plan.reason ?? 'primary_failed');
  }
  // A drained primary that served after its candidates failed is reported the same way.
  const servedAnyway: Array<FallbackReason | null> = ['no_healthy_model', 'primary_unhealthy', 'primary_drained'];
  return servedAnyway.includes(plan.reason) ? 'no_healthy_model' : null;
}

/**
 * Drained models are the last resort: they come after every usable model that is not drained and
 * before an unhealthy primary tried anyway. A drained primary is replaced by any usable candidate
 * (reason primary_drained); with none, it serves itself (reason no_healthy_model).
 */
export function planSelection(input: SelectionInput): SelectionPlan {
  const isDrained = input.drained ?? (() => false);
  const primary: Candidate = { modelId: input.primary, source: 'primary', ...input.health(input.primary) };
  const candidates = orderedCandidates(input);
  const considered = [primary, ...candidates];
  const preferred = byPreference(candidates.filter((c) => !isDrained(c.modelId)));
  const lastResort = byPreference(candidates.filter((c) => isDrained(c.modelId)));
  if (!isDrained(primary.modelId)) {
    const plan = activePlan(primary, preferred, considered);
    if (lastResort.length === 0) return plan;
    const anyway = plan.order.at(-1) === primary && primary.state === 'unhealthy';
    const order = anyway ? [...plan.order.slice(0, -1), ...lastResort, primary] : [...plan.order, ...lastResort];
    const reason = plan.reason === 'no_healthy_model' ? 'primary_unhealthy' : plan.reason;
    return { ...plan, order, reason };
  }
  const usable = primary.state === 'unhealthy' ? [] : [primary];
  const tail = primary.state === 'unhealthy' ? [primary] : [];
  const reason = preferred.length > 0 ? 'primary_drained' : 'no_healthy_model';
  return { primary, order: [...preferred, ...usable, ...lastResort, ...tail], reason, considered };
}

import type { HealthSnapshot } from '../domain/health/index.js';
import type { RegisteredModel } from '../domain/model-registry.js';
import { probeCostPerDay, type TokenUsage } from '../domain/pricing.js';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export interface HealthViewExtra {
  nextProbeAt: number | null;
  probing: boolean;
  usage: TokenUsage | null;
}

/**
 * A model's health as the API shows it. Made of parts with disjoint keys, each depending on fewer
 * inputs than the whole, so health-body.ts can serialize each part once per change of its own inputs;
 * the spread here fixes the order of the keys, which that serialization keeps.
 */
export function healthView(s: HealthSnapshot, model: RegisteredModel, extra: HealthViewExtra) {
  return {
    ...identityView(model),
    ...verdictView(s),
    ...scheduleView(extra),
    ...thresholdsView(s, model),
    ...probeCostView(model, extra.usage),
  };
}

export function identityView(model: RegisteredModel) {
  return { id: model.id, provider: model.provider };
}

/** Everything that comes from the engine's snapshot alone. */
export function verdictView(s: HealthSnapshot) {
  return {
    state: s.state,
    reason: s.reason,
    since: iso(s.since),
    latency: s.latency,
    ttft: s.ttft,
    errorRate: s.errorRate,
    slowCallRate: s.slowCallRate,
    samples: s.samples,
    consecutiveFailures: s.consecutiveFailures,
    consecutiveSuccesses: s.consecutiveSuccesses,
    requiredSuccesses: s.requiredSuccesses,
    hedgeDelayMs: s.hedgeDelayMs,
    inFlight: s.inFlight,
    firstTokenMisses: s.firstTokenMisses,
    confirming: s.confirming,
    forgiveness: s.forgiveness,
    lastProbeAt: iso(s.lastProbeAt),
    lastSuccessAt: iso(s.lastSuccessAt),
    lastError: s.lastError ? { ...s.lastError, at: new Date(s.lastError.at).toISOString() } : null,
  };
}

export function scheduleView(extra: Pick<HealthViewExtra, 'nextProbeAt' | 'probing'>) {
  const next = extra.nextProbeAt;
  return { nextProbeAt: next === null || !Number.isFinite(next) ? null : iso(next), probing: extra.probing };
}

export function thresholdsView(s: HealthSnapshot, model: RegisteredModel) {
  return {
    // The probe intervals are the scheduler's plan, not thresholds; they stay listed here as the API always showed them.
    thresholds: {
      ...s.thresholds,
      probeIntervalMs: model.probe.intervalMs,
      unhealthyProbeIntervalMs: model.probe.unhealthyIntervalMs,
    } as Record<string, number>,
  };
}

export function probeCostView(model: RegisteredModel, usage: TokenUsage | null) {
  // At the healthy interval: what probing costs while all is well.
  return { probeCost: probeCostPerDay(model.pricing, usage, model.probe.intervalMs) };
}

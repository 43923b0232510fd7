import type { HealthSnapshot } from '../domain/health/index.js';
import type { RegisteredModel } from '../domain/model-registry.js';
import { probeCostPerDay, type TokenUsage } from '../domain/pricing.js';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
export function healthView(
  s: HealthSnapshot,
  model: RegisteredModel,
  extra: { nextProbeAt: number | null; probing: boolean; usage: TokenUsage | null },
) {
  return {
    id: s.modelId,
    provider: model.provider,
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
    nextProbeAt: extra.nextProbeAt === null || !Number.isFinite(extra.nextProbeAt) ? null : iso(extra.nextProbeAt),
    probing: extra.probing,
    // The probe intervals are the scheduler's plan, not thresholds; they stay listed here as the API always showed them.
    thresholds: {
      ...s.thresholds,
      probeIntervalMs: model.probe.intervalMs,
      unhealthyProbeIntervalMs: model.probe.unhealthyIntervalMs,
    } as Record<string, number>,
    // At the healthy interval: what probing costs while all is well.
    probeCost: probeCostPerDay(model.pricing, extra.usage, model.probe.intervalMs),
  };
}

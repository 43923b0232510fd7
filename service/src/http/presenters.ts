import type { HealthSnapshot } from '../domain/health/index.js';
import type { RegisteredModel } from '../domain/model-registry.js';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
const DAY_MS = 86_400_000;

/** The estimated daily cost of probing a model at its healthy interval, from its last probe's usage. */
export function probeCost(
  model: RegisteredModel,
  usage: { inputTokens: number; outputTokens: number } | null,
): { tokensPerProbe: number | null; estimatedUsdPerDay: number | null } {
  if (!usage) return { tokensPerProbe: null, estimatedUsdPerDay: null };
  const tokensPerProbe = usage.inputTokens + usage.outputTokens;
  if (!model.pricing) return { tokensPerProbe, estimatedUsdPerDay: null };
  const perProbe =
    (usage.inputTokens * model.pricing.inputPerMillion + usage.outputTokens * model.pricing.outputPerMillion) / 1e6;
  return { tokensPerProbe, estimatedUsdPerDay: perProbe * (DAY_MS / model.probe.intervalMs) };
}

export function healthView(
  s: HealthSnapshot,
  model: RegisteredModel,
  extra: { nextProbeAt: number | null; probing: boolean; usage: { inputTokens: number; outputTokens: number } | null },
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
    probeCost: probeCost(model, extra.usage),
  };
}

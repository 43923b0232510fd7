import { resolveThresholds, type HealthThresholds } from '../domain/health/index.js';
import { ModelRegistry, type RegisteredModel } from '../domain/registry.js';
import type { ConfigFile, HealthOverridesConfig } from './schema.js';

const seconds = (s: number | undefined): number | undefined => (s === undefined ? undefined : Math.round(s * 1000));

/** Maps the file's seconds-based health settings onto the engine's millisecond thresholds. */
export function toThresholds(h: HealthOverridesConfig | undefined): Partial<HealthThresholds> {
  if (!h) return {};
  const out: Partial<HealthThresholds> = {
    windowMs: seconds(h.windowSeconds),
    maxSamples: h.maxSamples,
    minSamples: h.minSamples,
    unhealthyConsecutiveFailures: h.unhealthyConsecutiveFailures,
    unhealthyErrorRate: h.unhealthyErrorRate,
    degradedErrorRate: h.degradedErrorRate,
    latencySloMs: h.latencySloMs,
    rateLimitedRecentMs: seconds(h.rateLimitedRecentSeconds),
    recoverySuccesses: h.recoverySuccesses,
    recoveryBackoffFactor: h.recoveryBackoffFactor,
    recoveryMaxSuccesses: h.recoveryMaxSuccesses,
    tripMemoryMs: seconds(h.tripMemorySeconds),
    staleAfterMs: seconds(h.staleAfterSeconds),
  };
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined));
}

export function buildRegistry(config: ConfigFile): ModelRegistry {
  const models = config.models.map((m): RegisteredModel => {
    const [provider = '', ...rest] = m.id.split(':');
    const providerConfig = config.providers[provider];
    if (!providerConfig) throw new Error(`unreachable: provider ${provider} validated at load`);
    const probe = {
      intervalMs: seconds(m.probe?.intervalSeconds ?? config.probes.intervalSeconds)!,
      unhealthyIntervalMs: seconds(m.probe?.unhealthyIntervalSeconds ?? config.probes.unhealthyIntervalSeconds)!,
      timeoutMs: seconds(m.probe?.timeoutSeconds ?? config.probes.timeoutSeconds)!,
      jitterMs: seconds(config.probes.jitterSeconds)!,
      maxTokens: m.probe?.maxTokens ?? config.probes.maxTokens,
    };
    return {
      id: m.id,
      provider,
      model: m.model ?? rest.join(':'),
      endpoint: { name: provider, ...providerConfig },
      tier: m.tier ?? null,
      capabilities: m.capabilities,
      pricing: m.pricing ?? null,
      probe,
      health: {
        ...toThresholds(config.health),
        ...toThresholds(m.health),
        probeIntervalMs: probe.intervalMs,
        unhealthyProbeIntervalMs: probe.unhealthyIntervalMs,
      },
    };
  });
  return new ModelRegistry(models);
}

/** Rules between fields (e.g. the recovery streak and its cap), checked per model as the engine will see them. */
export function thresholdProblems(config: ConfigFile): string[] {
  const problems: string[] = [];
  buildRegistry(config)
    .all()
    .forEach((model, i) => {
      try {
        resolveThresholds(model.health);
      } catch (err) {
        if (!(err instanceof RangeError)) throw err;
        problems.push(`models[${i}].health (with the top-level health settings): ${err.message}`);
      }
    });
  return problems;
}

import { ModelRegistry, type RegisteredModel } from '../domain/model-registry.js';
import type { ProbePlan } from '../domain/probe-plan.js';
import { thresholdOverridesFrom } from './health-settings.js';
import type { ConfigFile, ModelConfig } from './schema.js';

const ms = (seconds: number): number => Math.round(seconds * 1000);

/** The model's probe plan: its own settings over the top-level `probes:` ones, in ms. */
function probePlanOf(config: ConfigFile, m: ModelConfig): ProbePlan {
  return {
    intervalMs: ms(m.probe?.intervalSeconds ?? config.probes.intervalSeconds),
    unhealthyIntervalMs: ms(m.probe?.unhealthyIntervalSeconds ?? config.probes.unhealthyIntervalSeconds),
    degradedIntervalMs: ms(m.probe?.degradedIntervalSeconds ?? config.probes.degradedIntervalSeconds),
    confirmIntervalMs: ms(m.probe?.confirmIntervalSeconds ?? config.probes.confirmIntervalSeconds),
    timeoutMs: ms(m.probe?.timeoutSeconds ?? config.probes.timeoutSeconds),
    jitterMs: ms(config.probes.jitterSeconds),
    maxTokens: m.probe?.maxTokens ?? config.probes.maxTokens,
  };
}

/** The registered models of a validated config file: providers, probe plans and health overrides. */
export function buildModelRegistry(config: ConfigFile): ModelRegistry {
  const models = config.models.map((m): RegisteredModel => {
    const [provider = '', ...rest] = m.id.split(':');
    const p = config.providers[provider];
    if (!p) throw new Error(`unreachable: provider ${provider} validated at load`);
    return {
      id: m.id,
      provider,
      endpoint: { kind: p.kind, baseUrl: p.baseUrl, apiKeyEnv: p.apiKeyEnv, headerNames: Object.keys(p.headers ?? {}) },
      model: m.model ?? rest.join(':'),
      tier: m.tier ?? null,
      capabilities: m.capabilities,
      pricing: m.pricing ?? null,
      probe: probePlanOf(config, m),
      health: { ...thresholdOverridesFrom(config.health), ...thresholdOverridesFrom(m.health) },
    };
  });
  return new ModelRegistry(models);
}

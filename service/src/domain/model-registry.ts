import type { ThresholdOverrides } from './health/index.js';
import type { Pricing } from './pricing.js';
import type { ProbePlan } from './probe-plan.js';

/** Where and how the agent reaches a provider. Carries the key's variable name, never a key. */
export interface Endpoint {
  name: string;
  kind: 'openai' | 'anthropic' | 'openai_compatible';
  baseUrl: string;
  apiKeyEnv: string;
  headers: Record<string, string>;
}

export interface RegisteredModel {
  id: string;
  provider: string;
  model: string;
  endpoint: Endpoint;
  tier: string | null;
  capabilities: string[];
  pricing: Pricing | null;
  probe: ProbePlan;
  /** Health threshold overrides (top-level and the model's own), in engine units. */
  health: ThresholdOverrides;
}

/**
 * The registered models, in config order (the order `auto` falls back to before ranking).
 * A config reload replaces the list as a whole; readers always see one version or the other.
 */
export class ModelRegistry {
  private byId: Map<string, RegisteredModel>;

  constructor(private models: RegisteredModel[]) {
    this.byId = new Map(models.map((m) => [m.id, m]));
  }

  replace(models: RegisteredModel[]): void {
    this.models = models;
    this.byId = new Map(models.map((m) => [m.id, m]));
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  get(id: string): RegisteredModel | undefined {
    return this.byId.get(id);
  }

  all(): readonly RegisteredModel[] {
    return this.models;
  }

  ids(): string[] {
    return this.models.map((m) => m.id);
  }
}

import type { ThresholdOverrides } from './health/index.js';
import type { Pricing } from './pricing.js';
import type { ProbePlan } from './probe-plan.js';

/**
 * Where the provider is, as the operator configured it: shown by GET /v1/models and compared on reload.
 * The agent calls it from its own copy of the config; the service never sends it. Carries the key's
 * variable name and header names, never a key or a header value.
 */
export interface EndpointView {
  kind: string;
  baseUrl: string;
  apiKeyEnv: string;
  headerNames: string[];
}

export interface RegisteredModel {
  id: string;
  /** The provider's name in the config file: the agent calls it by this name, from its own copy of the file. */
  provider: string;
  endpoint: EndpointView;
  model: string;
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

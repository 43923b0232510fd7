import type { ThresholdOverrides } from './health/index.js';
import type { Pricing } from './pricing.js';
import type { ProbePlan } from './probe-plan.js';

export interface RegisteredModel {
  id: string;
  /** The provider's name in the config file: the agent calls it by this name, from its own copy of the file. */
  provider: string;
  model: string;
  tier: string | null;
  capabilities: string[];
  pricing: Pricing | null;
  probe: ProbePlan;
  /** Health threshold overrides (top-level and the model's own), in engine units. */
  health: ThresholdOverrides;
}

/** The registered models, in config order (the order `auto` falls back to before ranking). */
export class ModelRegistry {
  private readonly byId: Map<string, RegisteredModel>;

  constructor(private readonly models: RegisteredModel[]) {
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

import type { ModelRegistry } from '../domain/model-registry.js';
import type { AsyncStore } from '../store/async-store.js';
import type { Page, SimulationRecord } from '../store/records.js';
import { notFound } from './app-error.js';
import { listFields, requireRegistered } from './registered-models.js';

export interface SimulationInput {
  primary: string;
  fallbacks: string[];
  interview: Record<string, unknown>;
}

/** Stored simulation configurations, with the rule that they name registered models only. */
export class SimulationCatalog {
  constructor(
    private readonly store: AsyncStore,
    private readonly registry: ModelRegistry,
    private readonly clock: () => number,
  ) {}

  /** Creates or replaces; `created` tells which. */
  async put(id: string, input: SimulationInput): Promise<{ record: SimulationRecord; created: boolean }> {
    requireRegistered(this.registry, [['primary', input.primary], ...listFields('fallbacks', input.fallbacks)]);
    return this.store.putSimulation({ id, ...input }, new Date(this.clock()).toISOString());
  }

  /** One bounded page, in id order, from after `cursor`. */
  list(limit: number, cursor?: string): Promise<Page<SimulationRecord>> {
    return this.store.listSimulations(limit, cursor);
  }

  /** Throws a 404 naming the id when there is no such simulation. */
  async get(id: string): Promise<SimulationRecord> {
    const sim = await this.store.getSimulation(id);
    if (!sim) throw notFound('simulation', id, 'id');
    return sim;
  }

  /** Throws a 404 naming the id when there is no such simulation. */
  async remove(id: string): Promise<void> {
    if (!(await this.store.deleteSimulation(id))) throw notFound('simulation', id, 'id');
  }
}

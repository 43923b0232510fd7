// The registry of models and their health. Pure: the clock is injected, nothing here does I/O or
// schedules anything; the service calls tick() from its own timer.
import { ModelHealth } from './model-health.js';
import { resolveThresholds } from './thresholds.js';
import type { HealthReader, HealthSnapshot, Sample, ThresholdOverrides, Transition } from './types.js';

export class HealthEngine implements HealthReader {
  private readonly clock: () => number;
  private readonly models = new Map<string, ModelHealth>();

  /** @param clock epoch ms, e.g. `Date.now` in the service, a fake in tests. */
  constructor(clock: () => number) {
    this.clock = clock;
  }

  /**
   * Adds a model in state unknown. `probeIntervalMs` is how often it will be probed: the staleness
   * default follows it. Throws on a duplicate id or invalid overrides (RangeError naming the field).
   */
  register(modelId: string, overrides?: ThresholdOverrides, probeIntervalMs?: number): void {
    if (this.models.has(modelId)) throw new Error(`model '${modelId}' is already registered with the health engine`);
    this.models.set(modelId, new ModelHealth(modelId, resolveThresholds(overrides, probeIntervalMs), this.clock()));
  }

  /** Forgets a model and its evidence (a config reload removed or redefined it). */
  unregister(modelId: string): boolean {
    return this.models.delete(modelId);
  }

  has(modelId: string): boolean {
    return this.models.has(modelId);
  }

  /** In registration order. */
  modelIds(): string[] {
    return [...this.models.keys()];
  }

  /** Records a sample and updates the verdict now; returns the transition if the state changed. */
  addSample(modelId: string, sample: Sample): Transition | null {
    return this.model(modelId).addSample(sample, this.clock());
  }

  /** The verdict cached at the last addSample/tick: O(1), frozen. Throws on an unknown id. */
  snapshot(modelId: string): HealthSnapshot {
    return this.model(modelId).snapshot();
  }

  /** In registration order. */
  snapshots(): HealthSnapshot[] {
    return [...this.models.values()].map((model) => model.snapshot());
  }

  /** Expires old samples and re-evaluates time-based rules for every model; call it every second or so. */
  tick(): Transition[] {
    const now = this.clock();
    const transitions: Transition[] = [];
    for (const model of this.models.values()) {
      const transition = model.tick(now);
      if (transition !== null) transitions.push(transition);
    }
    return transitions;
  }

  private model(modelId: string): ModelHealth {
    const model = this.models.get(modelId);
    if (model === undefined) throw new Error(`model '${modelId}' is not registered with the health engine`);
    return model;
  }
}

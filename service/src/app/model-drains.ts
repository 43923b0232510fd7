import type { ControlStore, DrainRecord } from '../store/control-store.js';
import type { ControlMetrics } from '../telemetry/control-metrics.js';
import type { Logger } from '../telemetry/logger.js';
import type { EventHub } from './event-hub.js';

/**
 * Models an operator took out of rotation. A drain is stored before it is answered, so it survives
 * a restart and a reload, and ends only with an undrain. A drained model is still probed.
 */
export class ModelDrains {
  private readonly byId = new Map<string, DrainRecord>();

  constructor(
    private readonly deps: {
      store: ControlStore;
      events: EventHub;
      metrics: ControlMetrics;
      logger: Logger;
      clock: () => number;
    },
  ) {
    for (const d of deps.store.listDrains()) this.byId.set(d.modelId, d);
  }

  isDrained(modelId: string): boolean {
    return this.byId.has(modelId);
  }

  get(modelId: string): DrainRecord | null {
    return this.byId.get(modelId) ?? null;
  }

  /** Sets the drain gauge of every registered model (after start-up and each reload). */
  showModels(modelIds: readonly string[], removed: readonly string[] = []): void {
    for (const id of modelIds) this.deps.metrics.setDrained(id, this.isDrained(id));
    for (const id of removed) this.deps.metrics.forgetModel(id);
  }

  drain(modelId: string, reason: string): DrainRecord {
    const record: DrainRecord = { modelId, reason, at: new Date(this.deps.clock()).toISOString() };
    this.deps.store.putDrain(record);
    this.byId.set(modelId, record);
    this.announce('drain', modelId, reason, `${modelId} drained: ${reason}`);
    return record;
  }

  /** False when the model was not drained (nothing changes, nothing is announced). */
  undrain(modelId: string, reason: string): boolean {
    if (!this.deps.store.deleteDrain(modelId)) return false;
    this.byId.delete(modelId);
    this.announce('undrain', modelId, reason, `${modelId} back in rotation: ${reason}`);
    return true;
  }

  private announce(change: 'drain' | 'undrain', modelId: string, reason: string, message: string): void {
    const { metrics, events, logger, clock } = this.deps;
    metrics.setDrained(modelId, change === 'drain');
    events.publish('registry', { change, modelId, reason, at: new Date(clock()).toISOString() });
    logger.warn({ event: change, model: modelId, reason }, message);
  }
}

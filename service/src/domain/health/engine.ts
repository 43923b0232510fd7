// The registry of models and their health. Pure: the clock is injected, nothing here does I/O or
// schedules anything; the service calls tick() from its own timer.
import { ModelHealth } from './model-health.js';
import type { HealthMemento } from './persisted.js';
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
    const thresholds = resolveThresholds(overrides, probeIntervalMs);
    this.models.set(modelId, new ModelHealth(modelId, thresholds, this.clock(), probeIntervalMs));
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

  /** A call to the model began (in-flight evidence); `callId` is unique among its calls in flight. */
  callStarted(modelId: string, callId: string, at: number): Transition | null {
    return this.model(modelId).callStarted(callId, at, this.clock());
  }

  /** The call's first token arrived after ttftMs. */
  callFirstToken(modelId: string, callId: string, ttftMs: number): Transition | null {
    return this.model(modelId).callFirstToken(callId, ttftMs, this.clock());
  }

  /** The caller gave up on the call after afterMs with no first token: a censored sample ("≥ afterMs"). */
  callCensored(modelId: string, callId: string | null, startedAt: number, afterMs: number): Transition | null {
    return this.model(modelId).callCensored(callId, startedAt, afterMs, this.clock());
  }

  /** The call ended with nothing to say about the model (no answer from the agent, a request error). */
  callForgotten(modelId: string, callId: string): Transition | null {
    return this.model(modelId).callForgotten(callId, this.clock());
  }

  /** What a restart must restore for the model (persisted.ts encodes it). */
  memento(modelId: string): HealthMemento {
    return this.model(modelId).memento();
  }

  /** Restores a model's recorded health at start-up, before any sample; returns the transition it makes now. */
  restore(modelId: string, saved: HealthMemento): Transition | null {
    return this.model(modelId).restore(saved, this.clock());
  }

  /** A confirmation run is open for the model: probe it at the confirm interval. */
  isConfirming(modelId: string): boolean {
    return this.model(modelId).isConfirming();
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

import type { HealthEngine, Sample, Transition } from '../domain/health/index.js';
import type { Store } from '../store/records.js';
import type { Logger } from '../telemetry/logger.js';
import type { ServiceMetrics } from '../telemetry/metrics.js';
import type { EventHub } from './event-hub.js';

/**
 * The one writer of health: the one path by which samples reach the health engine: every verdict change is stored,
 * counted and logged here, whether a probe, an interview start or the staleness timer caused it.
 */
export class HealthRecorder {
  constructor(
    private readonly engine: HealthEngine,
    private readonly store: Store,
    private readonly metrics: ServiceMetrics,
    private readonly logger: Logger,
    private readonly events?: EventHub,
  ) {}

  recordSample(modelId: string, sample: Sample): Transition | null {
    // A reload removed the model while a call to it was under way: its result has no one to go to.
    if (!this.engine.has(modelId)) return null;
    const transition = this.engine.addSample(modelId, sample);
    this.metrics.setHealth(this.engine.snapshot(modelId));
    if (transition) this.onTransition(transition);
    return transition;
  }

  /** Re-evaluates staleness and window expiry; called by a timer. */
  tick(): Transition[] {
    const transitions = this.engine.tick();
    for (const s of this.engine.snapshots()) this.metrics.setHealth(s);
    for (const t of transitions) this.onTransition(t);
    return transitions;
  }

  private onTransition(t: Transition): void {
    const record = { modelId: t.modelId, at: new Date(t.at).toISOString(), from: t.from, to: t.to, reason: t.reason };
    try {
      this.store.recordTransition(record);
    } catch (err) {
      // The verdict has changed whatever the store says: losing a history row must not fail a start or a probe.
      this.logger.error({ event: 'store_error', model: t.modelId, err }, 'could not record a health transition');
    }
    this.metrics.countTransition(t);
    this.events?.publish('transition', record);
    // Losing health (or the evidence for it) is a warning; getting it back is news.
    const level = t.to === 'healthy' ? 'info' : 'warn';
    this.logger[level](
      { event: 'health_transition', model: t.modelId, from: t.from, to: t.to, reason: t.reason },
      `${t.modelId}: ${t.from} -> ${t.to}`,
    );
  }
}

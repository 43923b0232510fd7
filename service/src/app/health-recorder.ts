import type { HealthEngine, Sample, Transition } from '../domain/health/index.js';
import type { AsyncStore } from '../store/async-store.js';
import type { Logger } from '../telemetry/logger.js';
import type { ServiceMetrics } from '../telemetry/metrics.js';
import type { EventHub } from './event-hub.js';

/**
 * How samples cross replicas when several share a database: each replica publishes what it
 * observed, applies what the others observed, and only the model's prober stores its transitions,
 * so a change is stored once however many replicas see it.
 */
export interface EvidenceSharing {
  publish(modelId: string, sample: Sample): Promise<void>;
  recordsTransitionsOf(modelId: string): boolean;
}

/**
 * The one writer of health: the one path by which samples reach the health engine: every verdict change is stored,
 * counted and logged here, whether a probe, an interview start or the staleness timer caused it.
 */
export class HealthRecorder {
  constructor(
    private readonly engine: HealthEngine,
    private readonly store: AsyncStore,
    private readonly metrics: ServiceMetrics,
    private readonly logger: Logger,
    private readonly events?: EventHub,
    private readonly sharing: EvidenceSharing | null = null,
  ) {}

  /** A sample this replica observed: applied here at once, and shared with the other replicas. */
  recordSample(modelId: string, sample: Sample): Transition | null {
    const transition = this.recordShared(modelId, sample);
    this.sharing?.publish(modelId, sample).catch((err: unknown) => {
      // The verdict here has the sample; the other replicas miss it until the database is back.
      this.logger.warn({ event: 'sample_not_shared', model: modelId, err }, 'could not share a health sample');
    });
    return transition;
  }

  /** A sample another replica observed (or this one, before a restart). */
  recordShared(modelId: string, sample: Sample): Transition | null {
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
    // With several replicas only the model's prober stores it, so a change is one row.
    if (!this.sharing || this.sharing.recordsTransitionsOf(t.modelId))
      this.store.recordTransition(record).catch((err: unknown) => {
        // The verdict has changed whatever the store says: losing a history row must not fail a start or a probe.
        this.logger.error({ event: 'store_error', model: t.modelId, err }, 'could not record a health transition');
      });
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

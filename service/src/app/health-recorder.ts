import { decodeMemento, encodeMemento } from '../domain/health/index.js';
import type { HealthEngine, HealthSnapshot, Sample, Transition } from '../domain/health/index.js';
import type { AsyncStore } from '../store/async-store.js';
import type { Logger } from '../telemetry/logger.js';
import type { ServiceMetrics } from '../telemetry/metrics.js';
import type { EventHub } from './event-hub.js';

/** Health is saved at most this often while samples change (and at once on a transition, and at stop). */
export const HEALTH_SAVE_INTERVAL_MS = 5_000;

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
 * It also keeps each model's health in the store, so a restart resumes it (domain/health/persisted.ts).
 */
export class HealthRecorder {
  private readonly dirty = new Set<string>();
  private lastSaveAt = 0;
  /**
   * Snapshots already in the gauges. A tick that changes nothing keeps a model's snapshot object
   * (domain/health/snapshot.ts): at 1,000 models that is 7,000 gauge sets a second not made again.
   */
  private readonly shown = new WeakSet<HealthSnapshot>();

  constructor(
    private readonly engine: HealthEngine,
    private readonly store: AsyncStore,
    private readonly metrics: ServiceMetrics,
    private readonly logger: Logger,
    private readonly events?: EventHub,
    private readonly clock: () => number = Date.now,
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
    this.dirty.add(modelId);
    this.show(this.engine.snapshot(modelId));
    if (transition) this.onTransition(transition);
    return transition;
  }

  /** At start-up, before any sample: each registered model's health as the last process saved it. */
  async restoreAll(): Promise<void> {
    let rows: Awaited<ReturnType<AsyncStore['loadHealthStates']>> = [];
    try {
      rows = await this.store.loadHealthStates();
    } catch (err) {
      this.logger.error({ event: 'store_error', err }, 'could not read saved health: every model starts unknown');
    }
    for (const row of rows) {
      if (!this.engine.has(row.modelId)) continue; // no longer registered
      try {
        const transition = this.engine.restore(row.modelId, decodeMemento(row.body));
        this.metrics.setHealth(this.engine.snapshot(row.modelId));
        if (transition) this.onTransition(transition);
        const s = this.engine.snapshot(row.modelId);
        this.logger.info(
          { event: 'health_restored', model: row.modelId, savedAt: row.savedAt, state: s.state, reason: s.reason },
          `${row.modelId}: restored ${s.state}`,
        );
      } catch (err) {
        this.logger.error({ event: 'health_restore_error', model: row.modelId, err }, 'saved health ignored');
      }
    }
  }

  /** Saves the models whose health changed since the last save (every model with `all`). */
  async save(all = false): Promise<void> {
    const ids = all ? this.engine.modelIds() : [...this.dirty];
    this.dirty.clear();
    this.lastSaveAt = this.clock();
    await Promise.all(ids.map((modelId) => this.saveOne(modelId)));
  }

  /** Never rejects: a save that fails is logged, and the next change saves the model again. */
  private async saveOne(modelId: string): Promise<void> {
    try {
      const savedAt = new Date(this.clock()).toISOString();
      await this.store.saveHealthState(modelId, savedAt, encodeMemento(this.engine.memento(modelId)));
    } catch (err) {
      this.logger.error({ event: 'store_error', model: modelId, err }, 'could not save health');
    }
  }

  /** A call began: its age is evidence from now on (in-flight ageing). */
  callStarted(modelId: string, callId: string, at: number): void {
    this.apply(modelId, this.engine.callStarted(modelId, callId, at));
  }

  callFirstToken(modelId: string, callId: string, ttftMs: number): void {
    this.apply(modelId, this.engine.callFirstToken(modelId, callId, ttftMs));
  }

  /** The caller gave up with no first token after `afterMs`: a censored sample. */
  callCensored(modelId: string, callId: string, startedAt: number, afterMs: number): void {
    this.apply(modelId, this.engine.callCensored(modelId, callId, startedAt, afterMs));
  }

  /** The call ended with nothing to say about the model. */
  callForgotten(modelId: string, callId: string): void {
    this.apply(modelId, this.engine.callForgotten(modelId, callId));
  }

  private apply(modelId: string, transition: Transition | null): void {
    this.dirty.add(modelId);
    this.show(this.engine.snapshot(modelId));
    if (transition) this.onTransition(transition);
  }

  /** Re-evaluates staleness and window expiry; called by a timer. */
  tick(): Transition[] {
    const transitions = this.engine.tick();
    for (const s of this.engine.snapshots()) this.show(s);
    for (const t of transitions) this.onTransition(t);
    if (this.clock() - this.lastSaveAt >= HEALTH_SAVE_INTERVAL_MS) void this.save();
    return transitions;
  }

  private show(s: HealthSnapshot): void {
    if (this.shown.has(s)) return;
    this.metrics.setHealth(s);
    this.shown.add(s);
  }

  private onTransition(t: Transition): void {
    const record = { modelId: t.modelId, at: new Date(t.at).toISOString(), from: t.from, to: t.to, reason: t.reason };
    // A verdict change is saved at once: a restart right after it must not resume the old verdict.
    void this.saveOne(t.modelId);
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

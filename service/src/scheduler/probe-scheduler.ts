import cron, { type ScheduledTask } from 'node-cron';
import type { HealthEngine } from '../domain/health/index.js';
import type { ModelRegistry } from '../domain/model-registry.js';
import { probeIntervalFor, type ProbePlan, type ProbeView } from '../domain/probe-plan.js';
import type { ProbeRunner } from '../app/probe-runner.js';
import type { HealthRecorder } from '../app/health-recorder.js';
import type { Logger } from '../telemetry/logger.js';

/** node-cron's resolution here: every task runs once a second. */
const CRON_TICK_MS = 1_000;

export interface SchedulerDeps {
  registry: ModelRegistry;
  engine: HealthEngine;
  probes: ProbeRunner;
  health: HealthRecorder;
  logger: Logger;
  clock: () => number;
  random: () => number;
}

/**
 * When a model is probed next, all from its probe plan: after the interval for what we believe of it
 * (shorter while unhealthy or degraded, so recovery is proven sooner, and while a failure is being
 * confirmed) plus jitter, so probes of many models do not fire in lockstep.
 */
export function nextProbeDue(finishedAt: number, plan: ProbePlan, view: ProbeView, random: () => number): number {
  return finishedAt + probeIntervalFor(plan, view) + Math.floor(random() * plan.jitterMs);
}

/**
 * One node-cron task per model ticks every second and fires the probe when it is due; the due
 * time is ours, not a cron expression, because the interval changes with the model's state.
 * The runner joins an in-flight probe, so probes of one model never overlap.
 *
 * The due time is re-read on every tick (domain/probe-plan.ts): when an interview failure opens a
 * confirmation run, or the model turns degraded, between two probes, the next probe comes at the
 * shorter interval counted from the end of the last one, not when the old due time says.
 */
export class ProbeScheduler {
  private readonly due = new Map<string, number>();
  private readonly lastFinished = new Map<string, number>();
  private readonly tasks: ScheduledTask[] = [];
  /** Probes due sooner than the next once-a-second tick (confirmations): fired by a timer of their own. */
  private readonly soon = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(private readonly deps: SchedulerDeps) {
    // Any probe, scheduled or asked for through the API, sets the next one: no paid probe right after a manual one.
    deps.probes.onFinished((modelId) => this.scheduleNext(modelId));
  }

  private scheduleNext(modelId: string): void {
    const model = this.deps.registry.get(modelId);
    if (!model || !this.due.has(modelId)) return;
    const finishedAt = this.deps.clock();
    this.lastFinished.set(modelId, finishedAt);
    this.due.set(modelId, nextProbeDue(finishedAt, model.probe, this.viewOf(modelId), this.deps.random));
    // A confirmation due in ~1 s must not wait for the next cron tick too (that would add up to 1 s each).
    const wait = (this.effectiveDue(modelId) ?? Number.POSITIVE_INFINITY) - finishedAt;
    if (this.stopped || wait > CRON_TICK_MS) return;
    const timer = setTimeout(
      () => {
        this.soon.delete(timer);
        this.tickModel(modelId);
      },
      Math.max(wait, 0) + 1,
    );
    timer.unref();
    this.soon.add(timer);
  }

  private viewOf(modelId: string): ProbeView {
    const { engine } = this.deps;
    return { state: engine.snapshot(modelId).state, confirming: engine.isConfirming(modelId) };
  }

  private intervalOf(modelId: string): number {
    return probeIntervalFor(this.deps.registry.get(modelId)!.probe, this.viewOf(modelId));
  }

  /** The scheduled due time, or sooner if the cadence shortened since (no jitter then: it is urgent). */
  private effectiveDue(modelId: string): number | undefined {
    const dueAt = this.due.get(modelId);
    const finishedAt = this.lastFinished.get(modelId);
    if (dueAt === undefined || finishedAt === undefined) return dueAt;
    return Math.min(dueAt, finishedAt + this.intervalOf(modelId));
  }

  nextProbeAt(modelId: string): number | null {
    return this.effectiveDue(modelId) ?? null;
  }

  start(): void {
    const { registry, clock, random } = this.deps;
    for (const model of registry.all()) {
      // Spread the first probes over the first jitter window instead of all at once.
      this.due.set(model.id, clock() + Math.floor(random() * model.probe.jitterMs));
      this.tasks.push(
        cron.schedule('* * * * * *', () => this.tickModel(model.id), { name: `probe ${model.id}`, noOverlap: true }),
      );
    }
    this.tasks.push(
      cron.schedule('* * * * * *', () => this.tickHealth(), { name: 'health staleness', noOverlap: true }),
    );
  }

  /** Staleness and window expiry; an error is logged as JSON here rather than by node-cron's console. */
  private tickHealth(): void {
    try {
      this.deps.health.tick();
    } catch (err) {
      this.deps.logger.error({ event: 'health_tick_error', err }, 'health re-evaluation failed');
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.soon) clearTimeout(timer);
    this.soon.clear();
    await Promise.all(this.tasks.map(async (t) => t.destroy()));
    this.tasks.length = 0;
  }

  /** Fires a due probe; when it ends, scheduleNext sets the next due time from the verdict it left. */
  tickModel(modelId: string): void {
    const { probes, clock, logger } = this.deps;
    const dueAt = this.effectiveDue(modelId);
    if (dueAt === undefined || clock() < dueAt || probes.isProbing(modelId)) return;
    this.due.set(modelId, Number.POSITIVE_INFINITY);
    probes
      .probe(modelId)
      .catch((err: unknown) =>
        logger.error({ event: 'probe_error', model: modelId, err }, 'probe failed unexpectedly'),
      );
  }
}

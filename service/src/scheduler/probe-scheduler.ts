import cron, { type ScheduledTask } from 'node-cron';
import type { HealthReader } from '../domain/health/index.js';
import type { ModelRegistry } from '../domain/model-registry.js';
import { probeIntervalFor, type ProbePlan, type ProbeView } from '../domain/probe-plan.js';
import type { ProbeRunner } from '../app/probe-runner.js';
import type { HealthRecorder } from '../app/health-recorder.js';
import type { Logger } from '../telemetry/logger.js';

/**
 * node-cron reads wall-clock parts in this zone. Left to the process zone, an odd but valid TZ such
 * as `UTC+24` sent it into a search for the next second that spun a core; the due times are ours
 * (epoch milliseconds) anyway, so the zone only has to be one that always works.
 */
const CRON_TIMEZONE = 'Etc/UTC';
/** node-cron's resolution here: every task runs once a second. */
const CRON_TICK_MS = 1_000;

export interface SchedulerDeps {
  registry: ModelRegistry;
  healthReader: HealthReader;
  probes: ProbeRunner;
  recorder: HealthRecorder;
  logger: Logger;
  clock: () => number;
  random: () => number;
  /** With several replicas: whether this one probes the model now (it holds the model's lease). */
  mayProbe?: (modelId: string) => boolean;
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
  private readonly modelTasks = new Map<string, ScheduledTask>();
  /** Probes due sooner than the next once-a-second tick (confirmations): fired by a timer of their own. */
  private readonly soon = new Set<NodeJS.Timeout>();
  private running = false;

  constructor(private readonly deps: SchedulerDeps) {
    // Any probe, scheduled or asked for through the API, sets the next one: no paid probe right after a manual one.
    deps.probes.onFinished((modelId) => this.scheduleNext(modelId));
  }

  /** A probe of the model ended on another replica at `at`: the next is due from then, whichever replica sends it. */
  probedElsewhere(modelId: string, at: number): void {
    this.scheduleNext(modelId, at);
  }

  private scheduleNext(modelId: string, finishedAt = this.deps.clock()): void {
    const model = this.deps.registry.get(modelId);
    if (!model || !this.due.has(modelId)) return;
    this.lastFinished.set(modelId, finishedAt);
    this.due.set(modelId, nextProbeDue(finishedAt, model.probe, this.viewOf(modelId), this.deps.random));
    // A confirmation due in ~1 s must not wait for the next cron tick too (that would add up to 1 s each).
    const wait = (this.effectiveDue(modelId) ?? Number.POSITIVE_INFINITY) - finishedAt;
    if (!this.running || wait > CRON_TICK_MS) return;
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
    const { healthReader } = this.deps;
    return { state: healthReader.snapshot(modelId).state, confirming: healthReader.isConfirming(modelId) };
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
    this.running = true;
    // Spread the first probes over the first jitter window instead of all at once.
    for (const model of registry.all()) this.addModel(model.id, clock() + Math.floor(random() * model.probe.jitterMs));
    this.tasks.push(
      cron.schedule('* * * * * *', () => this.tickHealth(), {
        name: 'health staleness',
        noOverlap: true,
        timezone: CRON_TIMEZONE,
      }),
    );
  }

  /** Staleness and window expiry; an error is logged as JSON here rather than by node-cron's console. */
  private tickHealth(): void {
    try {
      this.deps.recorder.tick();
    } catch (err) {
      this.deps.logger.error({ event: 'health_tick_error', err }, 'health re-evaluation failed');
    }
  }

  /**
   * After a config reload: added and reset models are probed at once, removed ones no longer.
   * A probe of a removed model already under way finishes, but its result is not recorded.
   */
  syncModels(change: { added: readonly string[]; reset: readonly string[]; removed: readonly string[] }): void {
    for (const id of change.removed) {
      void this.modelTasks.get(id)?.destroy();
      this.modelTasks.delete(id);
      this.due.delete(id);
    }
    if (!this.running) return;
    for (const id of [...change.added, ...change.reset]) this.addModel(id, this.deps.clock());
  }

  private addModel(modelId: string, dueAt: number): void {
    this.due.set(modelId, dueAt);
    if (this.modelTasks.has(modelId)) return;
    const task = cron.schedule('* * * * * *', () => this.tickModel(modelId), {
      name: `probe ${modelId}`,
      noOverlap: true,
      timezone: CRON_TIMEZONE,
    });
    this.modelTasks.set(modelId, task);
    // The first tick comes within a second; a model due now need not wait for it.
    this.tickModel(modelId);
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const timer of this.soon) clearTimeout(timer);
    this.soon.clear();
    await Promise.all([...this.tasks, ...this.modelTasks.values()].map(async (t) => t.destroy()));
    this.tasks.length = 0;
    this.modelTasks.clear();
  }

  /** Fires a due probe; when it ends, scheduleNext sets the next due time from the verdict it left. */
  tickModel(modelId: string): void {
    const { probes, clock, logger } = this.deps;
    const dueAt = this.effectiveDue(modelId);
    if (dueAt === undefined || clock() < dueAt || probes.isProbing(modelId)) return;
    if (this.deps.mayProbe && !this.deps.mayProbe(modelId)) return;
    this.due.set(modelId, Number.POSITIVE_INFINITY);
    probes
      .probe(modelId)
      .catch((err: unknown) =>
        logger.error({ event: 'probe_error', model: modelId, err }, 'probe failed unexpectedly'),
      );
  }
}

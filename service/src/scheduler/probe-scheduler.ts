import cron, { type ScheduledTask } from 'node-cron';
import type { HealthReader } from '../domain/health/index.js';
import type { ModelRegistry } from '../domain/model-registry.js';
import { firstProbeDue, probeIntervalFor, type ProbePlan, type ProbeView } from '../domain/probe-plan.js';
import type { ProbeRunner } from '../app/probe-runner.js';
import type { HealthRecorder } from '../app/health-recorder.js';
import type { Logger } from '../telemetry/logger.js';
import type { ProbeScheduleMetrics } from '../telemetry/probe-schedule-metrics.js';

/**
 * node-cron reads wall-clock parts in this zone. Left to the process zone, an odd but valid TZ such
 * as `UTC+24` sent it into a search for the next second that spun a core; the due times are ours
 * (epoch milliseconds) anyway, so the zone only has to be one that always works.
 */
const CRON_TIMEZONE = 'Etc/UTC';
/** node-cron's resolution here: the one task runs once a second. */
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
  scheduleMetrics: ProbeScheduleMetrics;
  /** Scheduled probes in flight at once (config probes.maxConcurrent). */
  maxConcurrent: number;
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
 * One node-cron task ticks every second and drives a due-time table: each tick arms a timer for every
 * probe due before the next tick, at its due time, so probes leave on time and spread as their due times
 * are (one cron task per model cost a callback per model per second, and fired up to a second late).
 * The due time is ours, not a cron expression, because the interval changes with the model's state.
 * The runner joins an in-flight probe, so probes of one model never overlap.
 *
 * The due time is re-read whenever a probe would leave (domain/probe-plan.ts): when an interview failure
 * opens a confirmation run, or the model turns degraded, between two probes, the next probe comes at the
 * shorter interval counted from the end of the last one, not when the old due time says.
 *
 * At most `maxConcurrent` scheduled probes are in flight; a due probe beyond that waits, oldest due first.
 * How late each leaves is measured (modelwatch_probe_lateness_seconds), and each whole interval it waited
 * counts a slot skipped for `backlog`: the service's own saturation is reported, never a provider sample.
 */
export class ProbeScheduler {
  private readonly due = new Map<string, number>();
  private readonly lastFinished = new Map<string, number>();
  /** The interval the model's due time was planned with (its state's when the last probe ended). */
  private readonly plannedInterval = new Map<string, number>();
  private readonly armed = new Map<string, NodeJS.Timeout>();
  private readonly inFlight = new Set<string>();
  private task: ScheduledTask | null = null;
  private running = false;
  /** Due probes wait for a slot: a slot freeing sends the oldest; a newly due probe queues behind them. */
  private waitingForSlot = false;
  /** The waiting probes, oldest due first, as last listed; those before queueAt have been dealt with. */
  private queue: string[] = [];
  private queueAt = 0;

  constructor(private readonly deps: SchedulerDeps) {
    // Any probe, scheduled or asked for through the API, sets the next one: no paid probe right after a manual one.
    deps.probes.onFinished((modelId) => this.scheduleNext(modelId));
  }

  /** A probe of the model ended on another replica at `at`: the next is due from then, whichever replica sends it. */
  probedElsewhere(modelId: string, at: number): void {
    this.scheduleNext(modelId, at);
  }

  private scheduleNext(modelId: string, finishedAt = this.deps.clock()): void {
    const freed = this.inFlight.delete(modelId);
    const model = this.deps.registry.get(modelId);
    if (model && this.due.has(modelId)) {
      const view = this.viewOf(modelId);
      this.lastFinished.set(modelId, finishedAt);
      this.plannedInterval.set(modelId, probeIntervalFor(model.probe, view));
      this.due.set(modelId, nextProbeDue(finishedAt, model.probe, view, this.deps.random));
      // A confirmation due in ~1 s must not wait for the next cron tick too (that would add up to 1 s each).
      this.arm(modelId);
    }
    if (freed) this.dispatchWaiting();
  }

  private viewOf(modelId: string): ProbeView {
    const { healthReader } = this.deps;
    return { state: healthReader.snapshot(modelId).state, confirming: healthReader.isConfirming(modelId) };
  }

  /**
   * The scheduled due time, or sooner if the cadence shortened since it was planned (no jitter then: it
   * is urgent). Only a shorter interval than the planned one counts: comparing with the same interval
   * would always win over interval + jitter and take the jitter away.
   */
  private effectiveDue(modelId: string): number | undefined {
    const dueAt = this.due.get(modelId);
    const finishedAt = this.lastFinished.get(modelId);
    const model = this.deps.registry.get(modelId);
    // Infinity: in flight, the next due time comes when it ends.
    if (dueAt === undefined || dueAt === Number.POSITIVE_INFINITY || finishedAt === undefined || !model) return dueAt;
    const interval = probeIntervalFor(model.probe, this.viewOf(modelId));
    const planned = this.plannedInterval.get(modelId) ?? Number.POSITIVE_INFINITY;
    return interval < planned ? Math.min(dueAt, finishedAt + interval) : dueAt;
  }

  nextProbeAt(modelId: string): number | null {
    return this.effectiveDue(modelId) ?? null;
  }

  start(): void {
    const { registry, clock, random } = this.deps;
    this.running = true;
    const models = registry.all();
    // Spread the first probes (over the jitter window, or wider for many models) instead of all at once.
    for (const model of models) this.due.set(model.id, firstProbeDue(clock(), model.probe, models.length, random));
    this.task = cron.schedule('* * * * * *', () => this.tick(), {
      name: 'probes and health staleness',
      noOverlap: true,
      timezone: CRON_TIMEZONE,
    });
    // The first tick comes within a second; models due now need not wait for it.
    this.armDue();
  }

  /** Once a second: staleness and window expiry, then timers for the probes due before the next tick. */
  private tick(): void {
    try {
      this.deps.recorder.tick();
    } catch (err) {
      // Logged as JSON here rather than by node-cron's console.
      this.deps.logger.error({ event: 'health_tick_error', err }, 'health re-evaluation failed');
    }
    this.armDue();
  }

  private armDue(): void {
    for (const modelId of this.due.keys()) this.arm(modelId);
  }

  /** A timer at the model's due time if that comes before the next tick; a later one is armed by a later tick. */
  private arm(modelId: string): void {
    if (!this.running || this.armed.has(modelId)) return;
    const wait = (this.effectiveDue(modelId) ?? Number.POSITIVE_INFINITY) - this.deps.clock();
    if (wait > CRON_TICK_MS) return;
    const timer = setTimeout(
      () => {
        this.armed.delete(modelId);
        // A timer may fire a millisecond before the clock reads the due time: wait out the rest now,
        // not until the next tick (that made about 2 % of probes leave ~1 s late).
        if ((this.effectiveDue(modelId) ?? Number.POSITIVE_INFINITY) > this.deps.clock()) this.arm(modelId);
        else this.tickModel(modelId);
      },
      Math.max(wait, 0),
    );
    timer.unref();
    this.armed.set(modelId, timer);
  }

  /**
   * After a config reload: added and reset models are probed at once, removed ones no longer.
   * A probe of a removed model already under way finishes, but its result is not recorded.
   */
  syncModels(change: { added: readonly string[]; reset: readonly string[]; removed: readonly string[] }): void {
    for (const id of change.removed) {
      clearTimeout(this.armed.get(id));
      this.armed.delete(id);
      this.due.delete(id);
    }
    if (!this.running) return;
    for (const id of [...change.added, ...change.reset]) {
      this.due.set(id, this.deps.clock());
      this.lastFinished.delete(id);
      this.plannedInterval.delete(id);
      this.arm(id);
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const timer of this.armed.values()) clearTimeout(timer);
    this.armed.clear();
    await this.task?.destroy();
    this.task = null;
  }

  /** Fires a due probe if a slot is free; when it ends, scheduleNext sets the next due time from its verdict. */
  tickModel(modelId: string): void {
    const dueAt = this.dueNow(modelId);
    if (dueAt === null) return;
    // No free slot, or older probes waiting for one: it waits too; probes ending send the oldest due first.
    if (this.waitingForSlot || this.inFlight.size >= this.deps.maxConcurrent) {
      this.waitingForSlot = true;
      this.dispatchWaiting(); // nothing while every slot is taken
      return;
    }
    this.send(modelId, dueAt);
  }

  /** The model's due time if a probe of it may go now, else null. */
  private dueNow(modelId: string): number | null {
    const dueAt = this.effectiveDue(modelId);
    if (dueAt === undefined || this.deps.clock() < dueAt || this.deps.probes.isProbing(modelId)) return null;
    if (this.deps.mayProbe && !this.deps.mayProbe(modelId)) return null;
    return dueAt;
  }

  private send(modelId: string, dueAt: number): void {
    const { probes, clock, logger } = this.deps;
    this.countLateness(modelId, clock() - dueAt);
    this.due.set(modelId, Number.POSITIVE_INFINITY);
    this.inFlight.add(modelId);
    probes
      .probe(modelId)
      .catch((err: unknown) =>
        logger.error({ event: 'probe_error', model: modelId, err }, 'probe failed unexpectedly'),
      );
  }

  private countLateness(modelId: string, lateMs: number): void {
    const { scheduleMetrics, registry } = this.deps;
    scheduleMetrics.observeLateness(lateMs);
    const interval = registry.get(modelId)?.probe.intervalMs ?? Number.POSITIVE_INFINITY;
    // Each whole interval it waited is a probe that should have gone and did not: a slot skipped.
    for (let missed = Math.floor(lateMs / interval); missed > 0; missed--) scheduleMetrics.countSkipped('backlog');
  }

  /**
   * Slots freed: the waiting probes go, oldest due first. The waiting ones are listed (one pass over the
   * models) only when the last list is used up, not once per probe that ends.
   */
  private dispatchWaiting(): void {
    while (this.running && this.inFlight.size < this.deps.maxConcurrent) {
      if (this.queueAt >= this.queue.length) {
        if (!this.waitingForSlot) return;
        this.waitingForSlot = false;
        this.queue = this.listWaiting();
        this.queueAt = 0;
        if (this.queue.length === 0) return;
      }
      const modelId = this.queue[this.queueAt++] as string;
      const dueAt = this.dueNow(modelId);
      if (dueAt !== null) this.send(modelId, dueAt);
    }
    // Out of slots with probes still listed: they are still waiting.
    if (this.queueAt < this.queue.length) this.waitingForSlot = true;
  }

  private listWaiting(): string[] {
    const waiting: Array<[string, number]> = [];
    for (const modelId of this.due.keys()) {
      const dueAt = this.dueNow(modelId);
      if (dueAt !== null) waiting.push([modelId, dueAt]);
    }
    return waiting.sort((a, b) => a[1] - b[1]).map(([modelId]) => modelId);
  }
}

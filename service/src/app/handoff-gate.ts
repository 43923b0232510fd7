export interface HandoffGateSettings {
  /** A handoff slower than this is a queue, not work (interviews.handoffTargetMs). */
  targetMs: number;
  /** The window over which the fastest handoff is taken (interviews.handoffIntervalMs). */
  intervalMs: number;
  /** Fewer handoffs than this in a window judge nothing (interviews.handoffMinCalls). */
  minCalls: number;
}

/**
 * Adaptive back-pressure for starts, after CoDel: refuse new starts while calls wait to be taken on.
 *
 * A handoff is the time from sending a call to the agent until the agent answers with its headers (it
 * does so once it has admitted the call, before any provider is called). It holds no provider time, so
 * it grows only when this process's event loop, the agent's, or the CPU they share is behind. When even
 * the fastest handoff of the last interval took longer than the target, every call met a queue: starts
 * are refused (503 + Retry-After) until an interval passes whose fastest handoff is within the target
 * again. The fixed limits (start-admission.ts) cap how many starts wait; this caps how long they wait.
 * An interval with fewer than `minCalls` handoffs says nothing about a queue of our own making (one
 * slow call at a time is a pause, not a queue), so it admits; the fixed limits still hold.
 */
export class HandoffGate {
  private windowStart: number;
  private windowMin = Number.POSITIVE_INFINITY;
  private windowCalls = 0;
  private queued = false;
  private lastMin = 0;

  constructor(
    readonly settings: HandoffGateSettings,
    private readonly clock: () => number,
  ) {
    this.windowStart = clock();
  }

  /** One handoff of `ms` milliseconds, just now. */
  observe(ms: number): void {
    this.roll();
    this.windowCalls += 1;
    if (ms < this.windowMin) this.windowMin = ms;
  }

  /** The fastest handoff of the last full interval, when it was over the target; else null (admit). */
  queueMs(): number | null {
    this.roll();
    return this.queued ? this.lastMin : null;
  }

  private roll(): void {
    const now = this.clock();
    const { intervalMs, targetMs, minCalls } = this.settings;
    const elapsed = now - this.windowStart;
    if (elapsed < intervalMs) return;
    // Judged on the interval that just ended, if enough was handed off in it; one that ended long ago
    // (nothing handed off since) says nothing about a queue now.
    const recent = elapsed < 2 * intervalMs;
    this.queued = recent && this.windowCalls >= minCalls && this.windowMin > targetMs;
    this.lastMin = this.windowMin;
    this.windowStart = now;
    this.windowMin = Number.POSITIVE_INFINITY;
    this.windowCalls = 0;
  }
}

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
 *
 * A handoff is only known once it is over, which under overload is seconds late; so calls still
 * waiting count too: while `minCalls` of them have waited longer than the target plus an interval
 * (the queue has stood that long: a burst is given the same interval to drain), starts are refused
 * at once, before any of them is taken on.
 */
export class HandoffGate {
  private windowStart: number;
  private windowMin = Number.POSITIVE_INFINITY;
  private windowCalls = 0;
  private queued = false;
  private lastMin = 0;
  // Calls sent and not yet taken on: when each was sent, in sending order (a Map keeps insertion order).
  private readonly waiting = new Map<number, number>();
  private nextId = 0;

  constructor(
    private current: HandoffGateSettings,
    private readonly clock: () => number,
  ) {
    this.windowStart = clock();
  }

  get settings(): HandoffGateSettings {
    return this.current;
  }

  /** New settings (a reload); the window under way is judged by them when it ends. */
  configure(settings: HandoffGateSettings): void {
    this.current = settings;
  }

  /** A call is sent to the agent now; end it when the agent has taken it on (true) or it failed (false). */
  begin(): { end: (takenOn: boolean) => void } {
    const id = this.nextId++;
    const sentAt = this.clock();
    this.waiting.set(id, sentAt);
    return {
      end: (takenOn) => {
        if (!this.waiting.delete(id)) return;
        if (takenOn) this.observe(this.clock() - sentAt);
      },
    };
  }

  /** One handoff of `ms` milliseconds, just now. */
  observe(ms: number): void {
    this.roll();
    this.windowCalls += 1;
    if (ms < this.windowMin) this.windowMin = ms;
  }

  /**
   * How long calls wait to be taken on, when that is a queue: the fastest handoff of the last interval,
   * or the wait of the oldest call still waiting; null (admit) when neither is over the target.
   */
  queueMs(): number | null {
    this.roll();
    return this.queued ? this.lastMin : this.stillWaitingMs();
  }

  /** The oldest call's wait, when at least minCalls calls have each waited longer than target + interval. */
  private stillWaitingMs(): number | null {
    const now = this.clock();
    const { targetMs, intervalMs, minCalls } = this.current;
    let over = 0;
    let oldest = 0;
    for (const sentAt of this.waiting.values()) {
      if (now - sentAt <= targetMs + intervalMs) return null; // the rest were sent later still
      if (over === 0) oldest = now - sentAt;
      over += 1;
      if (over >= minCalls) return oldest;
    }
    return null;
  }

  private roll(): void {
    const now = this.clock();
    const { intervalMs, targetMs, minCalls } = this.current;
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

// First-token evidence of one model: calls in flight, censored calls, and the run of misses.
//
// A miss is a call that had no first token within the model's first-token budget (its hedge delay):
//   - a call still in flight, waiting for its first token, older than the budget (counted NOW, not
//     when it finally times out: a hung provider completes nothing);
//   - a censored call: given up by its caller after ≥ budget with no first token ("latency ≥ X");
//   - a call whose first token came, but later than the budget.
// A call that answered within the budget (first token, or any answer such as a fast 500) ends the
// run: only misses of calls STARTED after the newest timely call count, as consecutive failures do.
// Censored calls never enter percentiles or rates: they say "≥ X", not "= X".
// Calls that started before the last reset (a recovery or a forgiveness) are late: they count for nothing.

/** Bounds memory whatever the traffic: a run longer than this says nothing more. */
const MAX_MISSES = 256;

export interface MissRun {
  /** Misses in a row (censored, late first token, or aged in flight). */
  count: number;
  /** How many of them are still in flight. */
  inFlight: number;
}

export class FirstTokenEvidence {
  /** callId → start time, for calls still waiting for their first token. */
  private readonly waiting = new Map<string, number>();
  /** Start times of completed or censored misses, after lastTimelyStart. */
  private misses: number[] = [];
  private lastTimelyStart = Number.NEGATIVE_INFINITY;
  private freshSince = Number.NEGATIVE_INFINITY;

  get inFlight(): number {
    return this.waiting.size;
  }

  /** Whether a call that started at `startedAt` belongs to the current window (not a late one). */
  isCurrent(startedAt: number): boolean {
    return startedAt >= this.freshSince;
  }

  started(callId: string, at: number): void {
    this.waiting.set(callId, at);
  }

  /** The call's first token came after `ttftMs`; returns whether it was in time. */
  firstToken(callId: string, ttftMs: number, budgetMs: number): boolean {
    const startedAt = this.waiting.get(callId);
    if (startedAt === undefined) return ttftMs <= budgetMs;
    this.waiting.delete(callId);
    this.answered(startedAt, ttftMs, budgetMs);
    return ttftMs <= budgetMs;
  }

  /** The call ended (any outcome) before a first-token notice: `answerMs` is its TTFT, or its latency. */
  completed(callId: string | null, startedAt: number, answerMs: number, budgetMs: number): void {
    const waited = callId === null ? undefined : this.waiting.get(callId);
    if (callId !== null) this.waiting.delete(callId);
    if (callId !== null && waited === undefined) return; // its first token was already judged
    this.answered(startedAt, answerMs, budgetMs);
  }

  /** The caller gave up after `afterMs` with no first token: a miss if that was at least the budget. */
  censored(callId: string | null, startedAt: number, afterMs: number, budgetMs: number): void {
    if (callId !== null) this.waiting.delete(callId);
    if (afterMs >= budgetMs) this.miss(startedAt);
  }

  /** The call ended with no verdict on its first token (e.g. the agent did not answer). */
  forget(callId: string): void {
    this.waiting.delete(callId);
  }

  run(now: number, budgetMs: number): MissRun {
    let inFlight = 0;
    for (const startedAt of this.waiting.values()) {
      if (startedAt > this.lastTimelyStart && startedAt >= this.freshSince && now - startedAt >= budgetMs) {
        inFlight += 1;
      }
    }
    return { count: this.misses.length + inFlight, inFlight };
  }

  /** A fresh window from `at`: earlier calls, finished or not, are late and count for nothing. */
  reset(at: number): void {
    this.freshSince = at;
    this.misses = [];
    for (const [callId, startedAt] of this.waiting) if (startedAt < at) this.waiting.delete(callId);
  }

  private answered(startedAt: number, answerMs: number, budgetMs: number): void {
    if (!this.isCurrent(startedAt)) return;
    if (answerMs > budgetMs) {
      this.miss(startedAt);
      return;
    }
    if (startedAt <= this.lastTimelyStart) return;
    this.lastTimelyStart = startedAt;
    this.misses = this.misses.filter((missStart) => missStart > startedAt);
  }

  private miss(startedAt: number): void {
    if (!this.isCurrent(startedAt) || startedAt <= this.lastTimelyStart) return;
    this.misses.push(startedAt);
    if (this.misses.length > MAX_MISSES) this.misses.shift();
  }
}

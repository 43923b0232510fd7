// The health state machine of one model.
//
//   unknown → healthy | degraded | unhealthy   as soon as the samples allow a verdict (rules.ts)
//   healthy ⇄ degraded                         decided afresh on every sample and tick, no streak needed
//   healthy | degraded → unknown               no sample for staleAfterMs
//   unknown | healthy | degraded → unhealthy   "a trip": consecutive failures or error rate (rules.ts)
//   unhealthy → healthy | degraded             only after requiredSuccesses successful PROBES in a row
//   degraded → healthy                         also after degradedRecoverySuccesses probes within the
//                                              SLO in a row (forgiveness.ts), with a fresh window
//
// Recovery needs proof, not a timer (resilience4j's half-open trial calls, gatus' success-threshold):
// - Only probes count: interview traffic is shaped by users, a probe is our controlled experiment.
//   Interview successes neither count nor break the streak; a hard failure of any source, or a probe
//   that did not succeed (429 included: it proves nothing), resets it.
// - On recovery the window restarts at the first success of the proving streak (resilience4j's fresh
//   window), so the failures that tripped the model do not hold it down or trip it again at once.
// - Backoff on flapping (Envoy's ejection multiplier, applied to proof instead of time): a trip within
//   tripMemoryMs of the last recovery extends the run of trips, and the n-th trip of a run needs
//   min(recoverySuccesses × recoveryBackoffFactor^(n−1), recoveryMaxSuccesses) probes. Once the model
//   has stayed out of unhealthy for tripMemoryMs after its last recovery, the run ends (trips = 0).
// - Staleness does not lift unhealthy to unknown: no sample is no proof of recovery. The reason then
//   says how old the last sample is; healthy and degraded do go to unknown when stale.
import { DEFAULT_PROBE_PLAN } from '../probe-plan.js';
import { ConfirmationRun } from './confirmation.js';
import { FirstTokenEvidence } from './first-token.js';
import { DegradedForgiveness } from './forgiveness.js';
import { hedgeDelayMs } from './hedge-delay.js';
import { forgivenReason, recoveredReason, recoveryProgress, formatDuration } from './reason.js';
import { decideState, unhealthyReasons } from './rules.js';
import type { FailureFact, RuleInput } from './rules.js';
import { buildSnapshot } from './snapshot.js';
import { requiredSuccessesForTrip } from './thresholds.js';
import { isHardFailure } from './types.js';
import { assertValidSample, latest } from './sample-checks.js';
import type { HealthMemento } from './persisted.js';
import type { HealthSnapshot, HealthState, LastError, ResolvedThresholds, Sample, Transition } from './types.js';
import { SampleWindow } from './window.js';

interface RateLimitFact extends FailureFact {
  sequence: number;
}

export class ModelHealth {
  readonly modelId: string;
  readonly thresholds: ResolvedThresholds;
  private readonly window: SampleWindow;
  private state: HealthState = 'unknown';
  private since: number;
  private consecutiveFailures = 0;
  private probeStreak = 0;
  /** Window sequence number and call start of the first sample of the current probe streak. */
  private streakStartSequence = 0;
  private streakStartedAt = 0;
  private readonly firstToken = new FirstTokenEvidence();
  private readonly forgiveness: DegradedForgiveness;
  private readonly confirmation: ConfirmationRun;
  private trips = 0;
  private lastRecoveryAt: number | null = null;
  private tripReason = '';
  /** Shown after a recovery until the next sample, so a tick does not erase why the model is back. */
  private recoveryNote: string | null = null;
  private lastSampleAt: number | null = null;
  private lastProbeAt: number | null = null;
  private lastSuccessAt: number | null = null;
  private lastError: LastError | null = null;
  private lastHardFailure: FailureFact | null = null;
  private lastRateLimited: RateLimitFact | null = null;
  private current: HealthSnapshot;

  /** `probeIntervalMs`: the model's normal probe interval, the cool-down between confirmation runs. */
  constructor(
    modelId: string,
    thresholds: ResolvedThresholds,
    now: number,
    probeIntervalMs = DEFAULT_PROBE_PLAN.intervalMs,
  ) {
    this.modelId = modelId;
    this.thresholds = thresholds;
    this.window = new SampleWindow(thresholds.maxSamples, thresholds.windowMs, thresholds.latencySloMs);
    this.forgiveness = new DegradedForgiveness(thresholds);
    // A confirmation run needs at most the failures that trip the model; one run per normal interval.
    this.confirmation = new ConfirmationRun(thresholds.unhealthyConsecutiveFailures, probeIntervalMs);
    this.since = now;
    this.current = this.snapshotWith(decideState(this.ruleInput(now)).reason, now);
  }

  /** Adds a sample, updates the verdict, and returns the transition if the state changed. */
  addSample(sample: Sample, now: number): Transition | null {
    assertValidSample(sample);
    const startedAt = sample.startedAt ?? sample.at - sample.latencyMs;
    // A late completion (its call began before the window was last reset) must not judge the fresh window.
    if (!this.firstToken.isCurrent(startedAt)) return null;
    // The budget the call was held to: the one in force before its own sample moves the p95.
    const budgetMs = this.hedgeDelay();
    const sequence = this.window.push(sample);
    this.window.evictExpired(now);
    this.noteSample(sample, sequence, startedAt);
    this.noteEvidence(sample, { sequence, startedAt, budgetMs }, now);
    this.recoveryNote = null;
    if (this.state === 'unhealthy' && this.probeStreak >= this.requiredSuccesses(now)) return this.recover(now);
    if (this.state === 'degraded' && this.forgiveness.ready()) return this.forgive(now);
    return this.evaluate(now);
  }

  /** A call to the model began: from now on its age is evidence (first-token.ts). */
  callStarted(callId: string, at: number, now: number): Transition | null {
    this.firstToken.started(callId, at);
    return this.evaluate(now);
  }

  /** The call's first token arrived after ttftMs. */
  callFirstToken(callId: string, ttftMs: number, now: number): Transition | null {
    const inTime = this.firstToken.firstToken(callId, ttftMs, this.hedgeDelay());
    if (!inTime && this.state !== 'unhealthy') this.confirmation.suspect(now);
    return this.evaluate(now);
  }

  /** The caller gave up on the call after afterMs with no first token: a censored sample. */
  callCensored(callId: string | null, startedAt: number, afterMs: number, now: number): Transition | null {
    const budget = this.hedgeDelay();
    this.firstToken.censored(callId, startedAt, afterMs, budget);
    if (afterMs >= budget && this.firstToken.isCurrent(startedAt) && this.state !== 'unhealthy') {
      this.confirmation.suspect(now);
    }
    return this.evaluate(now);
  }

  /** The call ended with nothing to say about the model (the agent did not answer, a request error). */
  callForgotten(callId: string, now: number): Transition | null {
    this.firstToken.forget(callId);
    return this.evaluate(now);
  }

  /** Re-evaluates time-based rules (expiry, staleness, 429 recency, trip memory). */
  tick(now: number): Transition | null {
    this.window.evictExpired(now);
    return this.evaluate(now);
  }

  /** The verdict cached at the last addSample or tick: frozen, no computation. */
  snapshot(): HealthSnapshot {
    return this.current;
  }

  /** Open confirmation run: the scheduler probes at the confirm interval. */
  isConfirming(): boolean {
    return this.confirmation.active;
  }

  /** The hedge delay, which is also the first-token budget, from the current window. */
  hedgeDelay(): number {
    const figures = this.window.figures();
    return hedgeDelayMs({ ttft: figures.ttft, total: figures.total }, this.thresholds);
  }

  /** Everything a restart must restore: plain data (persisted.ts turns it into the stored form). */
  memento(): HealthMemento {
    const head = this.window.nextSequence - this.window.size;
    return {
      state: this.state,
      reason: this.current.reason,
      since: this.since,
      consecutiveFailures: this.consecutiveFailures,
      probeStreak: this.probeStreak,
      streakStartOffset: this.streakStartSequence - head,
      streakStartedAt: this.streakStartedAt,
      trips: this.trips,
      lastRecoveryAt: this.lastRecoveryAt,
      tripReason: this.tripReason,
      forgiveness: this.forgiveness.state(),
      lastSampleAt: this.lastSampleAt,
      lastProbeAt: this.lastProbeAt,
      lastSuccessAt: this.lastSuccessAt,
      lastError: this.lastError,
      lastHardFailure: this.lastHardFailure,
      lastRateLimited: this.lastRateLimited && {
        ...this.lastRateLimited,
        sequence: this.lastRateLimited.sequence - head,
      },
      samples: this.window.entries(),
    };
  }

  /**
   * Restores what a previous process recorded, on a model that has seen nothing yet. Samples older than
   * the window are dropped, then the verdict is decided afresh at `now` (so staleness applies), except
   * that an unhealthy model stays unhealthy until it proves itself.
   */
  restore(saved: HealthMemento, now: number): Transition | null {
    const head = this.window.nextSequence;
    for (const entry of saved.samples) this.window.push(entry);
    this.window.evictExpired(now);
    this.state = saved.state;
    this.since = saved.since;
    this.consecutiveFailures = saved.consecutiveFailures;
    this.probeStreak = saved.probeStreak;
    this.streakStartSequence = head + saved.streakStartOffset;
    this.streakStartedAt = saved.streakStartedAt;
    this.trips = saved.trips;
    this.lastRecoveryAt = saved.lastRecoveryAt;
    this.tripReason = saved.tripReason;
    this.lastSampleAt = saved.lastSampleAt;
    this.lastProbeAt = saved.lastProbeAt;
    this.lastSuccessAt = saved.lastSuccessAt;
    this.lastError = saved.lastError && Object.freeze({ ...saved.lastError });
    this.lastHardFailure = saved.lastHardFailure;
    const limited = saved.lastRateLimited;
    this.lastRateLimited = limited && { ...limited, sequence: head + limited.sequence };
    this.forgiveness.restore(saved.forgiveness, saved.state === 'degraded');
    this.current = this.snapshotWith(saved.reason, now);
    return this.evaluate(now);
  }

  /** First-token evidence, forgiveness streak and confirmation runs. */
  private noteEvidence(
    sample: Sample,
    { sequence, startedAt, budgetMs }: { sequence: number; startedAt: number; budgetMs: number },
    now: number,
  ): void {
    const answerMs = sample.ttftMs ?? sample.latencyMs;
    this.firstToken.completed(sample.callId ?? null, startedAt, answerMs, budgetMs);
    const success = sample.outcome === 'success';
    // A first token later than the budget is a suspicion like a failure: it is confirmed by quick probes.
    const lateFirstToken = success && answerMs > budgetMs;
    if (sample.source === 'probe') {
      this.forgiveness.probe(success, sample.latencyMs, sequence, startedAt);
      this.confirmation.probed(success && !lateFirstToken, now);
    }
    if (isHardFailure(sample.outcome)) this.forgiveness.failed();
    if ((isHardFailure(sample.outcome) || lateFirstToken) && this.state !== 'unhealthy') this.confirmation.suspect(now);
  }

  private noteSample(sample: Sample, sequence: number, startedAt: number): void {
    const httpStatus = sample.httpStatus ?? null;
    this.lastSampleAt = latest(this.lastSampleAt, sample.at);
    if (sample.source === 'probe') this.lastProbeAt = latest(this.lastProbeAt, sample.at);
    if (sample.outcome === 'success') {
      this.lastSuccessAt = latest(this.lastSuccessAt, sample.at);
      this.consecutiveFailures = 0;
      if (sample.source === 'probe') this.extendProbeStreak(sequence, startedAt);
      return;
    }
    this.lastError = Object.freeze({
      at: sample.at,
      outcome: sample.outcome,
      httpStatus,
      message: sample.errorMessage ?? null,
    });
    if (sample.outcome === 'rate_limited') {
      this.lastRateLimited = { at: sample.at, outcome: sample.outcome, httpStatus, sequence };
      if (sample.source === 'probe') this.probeStreak = 0;
      return;
    }
    this.lastHardFailure = { at: sample.at, outcome: sample.outcome, httpStatus };
    this.consecutiveFailures += 1;
    this.probeStreak = 0;
  }

  private extendProbeStreak(sequence: number, startedAt: number): void {
    if (this.probeStreak === 0) {
      this.streakStartSequence = sequence;
      this.streakStartedAt = startedAt;
    }
    this.probeStreak += 1;
  }

  private evaluate(now: number, { releaseHold = false } = {}): Transition | null {
    this.endTripRunIfForgotten(now);
    const input = this.ruleInput(now);
    if (this.state === 'unhealthy' && !releaseHold) return this.settle('unhealthy', this.holdReason(input), now);
    const verdict = decideState(input);
    if (verdict.state === 'unhealthy') return this.settle('unhealthy', this.trip(now, verdict.reason), now);
    const reason = this.recoveryNote === null ? verdict.reason : `${this.recoveryNote}; ${verdict.reason}`;
    return this.settle(verdict.state, reason, now);
  }

  /** Starts (or extends) a run of trips and returns the reason with the proof now required. */
  private trip(now: number, reason: string): string {
    this.trips = this.isWithinTripMemory(now) ? this.trips + 1 : 1;
    this.probeStreak = 0;
    this.tripReason = reason;
    return `${reason}; ${recoveryProgress(0, requiredSuccessesForTrip(this.trips, this.thresholds))}`;
  }

  private recover(now: number): Transition | null {
    const required = this.requiredSuccesses(now);
    this.startFreshWindow(this.streakStartSequence, this.streakStartedAt);
    this.consecutiveFailures = 0;
    this.lastRecoveryAt = now;
    this.recoveryNote = recoveredReason(this.probeStreak, required);
    return this.evaluate(now, { releaseHold: true });
  }

  /** Degraded, proven well by probes within the SLO: back with a fresh window. */
  private forgive(now: number): Transition | null {
    const { streak } = this.forgiveness.progress();
    const start = this.forgiveness.forgive(now);
    // A 429 before the streak is forgiven too: probes that succeeded since prove the throttling is over.
    this.startFreshWindow(start.sequence, start.startedAt);
    this.recoveryNote = forgivenReason(streak);
    return this.evaluate(now);
  }

  /** Drops the evidence from before the proving streak; calls started before it become late ones. */
  private startFreshWindow(sequence: number, startedAt: number): void {
    this.window.evictBefore(sequence);
    this.firstToken.reset(startedAt);
    if (this.lastRateLimited !== null && this.lastRateLimited.sequence < sequence) this.lastRateLimited = null;
  }

  /** Why it is still unhealthy: the live cause if one still holds, else the trip cause, plus recovery progress. */
  private holdReason(input: RuleInput): string {
    const live = unhealthyReasons(input);
    const cause = live.length > 0 ? live.join('; ') : `tripped on ${this.tripReason}`;
    const progress = recoveryProgress(this.probeStreak, this.requiredSuccesses(input.now));
    const age = this.lastSampleAt === null ? 0 : input.now - this.lastSampleAt;
    const staleNote = age >= this.thresholds.staleAfterMs ? `; no sample for ${formatDuration(age)}` : '';
    return `${cause}; ${progress}${staleNote}`;
  }

  /** While unhealthy: the streak needed now. Otherwise: the streak a trip right now would need. */
  private requiredSuccesses(now: number): number {
    if (this.state === 'unhealthy') return requiredSuccessesForTrip(this.trips, this.thresholds);
    return requiredSuccessesForTrip(this.isWithinTripMemory(now) ? this.trips + 1 : 1, this.thresholds);
  }

  private isWithinTripMemory(now: number): boolean {
    return this.lastRecoveryAt !== null && now - this.lastRecoveryAt < this.thresholds.tripMemoryMs;
  }

  private endTripRunIfForgotten(now: number): void {
    if (this.state !== 'unhealthy' && this.trips > 0 && !this.isWithinTripMemory(now)) this.trips = 0;
    if (this.state !== 'degraded') this.forgiveness.forgetIfOld(now);
  }

  private settle(state: HealthState, reason: string, now: number): Transition | null {
    const from = this.state;
    if (state !== from) {
      this.state = state;
      this.since = now;
      if (state === 'degraded') this.forgiveness.tripped(now);
      if (state === 'unhealthy') this.confirmation.close(now);
    }
    this.current = this.snapshotWith(reason, now);
    return state === from ? null : { modelId: this.modelId, at: now, from, to: state, reason };
  }

  private snapshotWith(reason: string, now: number): HealthSnapshot {
    return buildSnapshot(
      {
        modelId: this.modelId,
        state: this.state,
        reason,
        since: this.since,
        figures: this.window.figures(),
        consecutiveFailures: this.consecutiveFailures,
        consecutiveSuccesses: this.probeStreak,
        requiredSuccesses: this.requiredSuccesses(now),
        trips: this.trips,
        lastSampleAt: this.lastSampleAt,
        lastProbeAt: this.lastProbeAt,
        lastSuccessAt: this.lastSuccessAt,
        lastError: this.lastError,
        hedgeDelayMs: this.hedgeDelay(),
        inFlight: this.firstToken.inFlight,
        firstTokenMisses: this.firstToken.run(now, this.hedgeDelay()).count,
        confirming: this.confirmation.active,
        forgiveness: { streak: this.forgiveness.progress().streak, required: this.forgiveness.required() },
        thresholds: this.thresholds,
      },
      this.current,
    );
  }

  private ruleInput(now: number): RuleInput {
    return {
      now,
      thresholds: this.thresholds,
      figures: this.window.figures(),
      consecutiveFailures: this.consecutiveFailures,
      lastHardFailure: this.lastHardFailure,
      lastRateLimited: this.lastRateLimited,
      lastSampleAt: this.lastSampleAt,
      firstTokenMisses: this.firstToken.run(now, this.hedgeDelay()).count,
      firstTokenBudgetMs: this.hedgeDelay(),
    };
  }
}

// The health state machine of one model.
//
//   unknown → healthy | degraded | unhealthy   as soon as the samples allow a verdict (rules.ts)
//   healthy ⇄ degraded                         decided afresh on every sample and tick, no streak needed
//   healthy | degraded → unknown               no sample for staleAfterMs
//   unknown | healthy | degraded → unhealthy   "a trip": consecutive failures or error rate (rules.ts)
//   unhealthy → healthy | degraded             only after requiredSuccesses successful PROBES in a row
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
import { recoveredReason, recoveryProgress, formatDuration } from './reason.js';
import { decideState, unhealthyReasons } from './rules.js';
import type { FailureFact, RuleInput } from './rules.js';
import { buildSnapshot } from './snapshot.js';
import { requiredSuccessesForTrip } from './thresholds.js';
import { OUTCOMES, SAMPLE_SOURCES } from './types.js';
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
  /** Window sequence number of the first sample of the current probe streak. */
  private streakStartSequence = 0;
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

  constructor(modelId: string, thresholds: ResolvedThresholds, now: number) {
    this.modelId = modelId;
    this.thresholds = thresholds;
    this.window = new SampleWindow(thresholds.maxSamples, thresholds.windowMs, thresholds.latencySloMs);
    this.since = now;
    this.current = this.snapshotWith(decideState(this.ruleInput(now)).reason, now);
  }

  /** Adds a sample, updates the verdict, and returns the transition if the state changed. */
  addSample(sample: Sample, now: number): Transition | null {
    assertValidSample(sample);
    const sequence = this.window.push(sample);
    this.window.evictExpired(now);
    this.noteSample(sample, sequence);
    this.recoveryNote = null;
    if (this.state === 'unhealthy' && this.probeStreak >= this.requiredSuccesses(now)) return this.recover(now);
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

  private noteSample(sample: Sample, sequence: number): void {
    const httpStatus = sample.httpStatus ?? null;
    this.lastSampleAt = latest(this.lastSampleAt, sample.at);
    if (sample.source === 'probe') this.lastProbeAt = latest(this.lastProbeAt, sample.at);
    if (sample.outcome === 'success') {
      this.lastSuccessAt = latest(this.lastSuccessAt, sample.at);
      this.consecutiveFailures = 0;
      if (sample.source === 'probe') this.extendProbeStreak(sequence);
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

  private extendProbeStreak(sequence: number): void {
    if (this.probeStreak === 0) this.streakStartSequence = sequence;
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
    this.window.evictBefore(this.streakStartSequence);
    if (this.lastRateLimited !== null && this.lastRateLimited.sequence < this.streakStartSequence) {
      this.lastRateLimited = null;
    }
    this.consecutiveFailures = 0;
    this.lastRecoveryAt = now;
    this.recoveryNote = recoveredReason(this.probeStreak, required);
    return this.evaluate(now, { releaseHold: true });
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
  }

  private settle(state: HealthState, reason: string, now: number): Transition | null {
    const from = this.state;
    if (state !== from) {
      this.state = state;
      this.since = now;
    }
    this.current = this.snapshotWith(reason, now);
    return state === from ? null : { modelId: this.modelId, at: now, from, to: state, reason };
  }

  private snapshotWith(reason: string, now: number): HealthSnapshot {
    return buildSnapshot({
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
      thresholds: this.thresholds,
    });
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
    };
  }
}

/** Samples may arrive slightly out of order (calls overlap): "last ... at" keeps the newest time. */
function latest(previous: number | null, at: number): number {
  return previous === null ? at : Math.max(previous, at);
}

const VALID_OUTCOMES: ReadonlySet<string> = new Set(OUTCOMES);
const VALID_SOURCES: ReadonlySet<string> = new Set(SAMPLE_SOURCES);

/** Garbage in would corrupt the sorted windows (NaN never compares), so reject it loudly. */
function assertValidSample(sample: Sample): void {
  if (!VALID_OUTCOMES.has(sample.outcome)) throw new RangeError(`unknown outcome '${String(sample.outcome)}'`);
  if (!VALID_SOURCES.has(sample.source)) throw new RangeError(`unknown sample source '${String(sample.source)}'`);
  if (!Number.isFinite(sample.at)) throw new RangeError(`sample.at must be a finite epoch ms, got ${sample.at}`);
  if (!(Number.isFinite(sample.latencyMs) && sample.latencyMs >= 0)) {
    throw new RangeError(`sample.latencyMs must be a finite number ≥ 0, got ${sample.latencyMs}`);
  }
  const ttft = sample.ttftMs;
  if (ttft !== null && !(Number.isFinite(ttft) && ttft >= 0)) {
    throw new RangeError(`sample.ttftMs must be null or a finite number ≥ 0, got ${String(ttft)}`);
  }
}

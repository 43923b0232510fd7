// Proven forgiveness from `degraded`: a run of successful probes within the SLO brings a degraded model
// back with a fresh window, as recovery from unhealthy does, with the same re-trip backoff
// (Envoy's ejection multiplier, applied to proof instead of time).
import { requiredSuccessesForTrip } from './thresholds.js';
import type { ResolvedThresholds } from './types.js';

export class DegradedForgiveness {
  private streak = 0;
  private streakStart = { sequence: 0, startedAt: 0 };
  private trips = 0;
  private lastForgivenAt: number | null = null;
  /** One forgiveness per degraded trip: what is left after it (a recent 429) is not forgiven twice. */
  private armed = false;

  constructor(private readonly thresholds: ResolvedThresholds) {}

  /** The model just turned degraded: a trip soon after the last forgiveness needs more proof. */
  tripped(now: number): void {
    this.trips = this.withinMemory(now) ? this.trips + 1 : 1;
    this.streak = 0;
    this.armed = true;
  }

  /** A probe ended: it extends the streak only if it succeeded within the latency SLO. */
  probe(success: boolean, latencyMs: number, sequence: number, startedAt: number): void {
    if (!success || latencyMs > this.thresholds.latencySloMs) {
      this.streak = 0;
      return;
    }
    if (this.streak === 0) this.streakStart = { sequence, startedAt };
    this.streak += 1;
  }

  /** A hard failure of any source breaks the streak. */
  failed(): void {
    this.streak = 0;
  }

  /** Once a model has stayed out of degraded for tripMemoryMs, its run of trips ends. */
  forgetIfOld(now: number): void {
    if (this.trips > 0 && this.lastForgivenAt !== null && !this.withinMemory(now)) this.trips = 0;
  }

  required(): number {
    return requiredSuccessesForTrip(
      Math.max(this.trips, 1),
      this.thresholds,
      this.thresholds.degradedRecoverySuccesses,
    );
  }

  progress(): { streak: number; required: number; trips: number } {
    return { streak: this.streak, required: this.required(), trips: this.trips };
  }

  ready(): boolean {
    return this.armed && this.streak >= this.required();
  }

  /** Forgives now; returns where the fresh window starts (the first probe of the streak). */
  forgive(now: number): { sequence: number; startedAt: number } {
    this.lastForgivenAt = now;
    this.streak = 0;
    this.armed = false;
    return this.streakStart;
  }

  /** What a restart must restore. */
  state(): { streak: number; trips: number; lastForgivenAt: number | null } {
    return { streak: this.streak, trips: this.trips, lastForgivenAt: this.lastForgivenAt };
  }

  restore(saved: { trips: number; lastForgivenAt: number | null }, degraded: boolean): void {
    this.trips = saved.trips;
    this.armed = degraded;
    this.lastForgivenAt = saved.lastForgivenAt;
    this.streak = 0; // a streak is proof gathered by this process: a restart asks for it afresh
  }

  private withinMemory(now: number): boolean {
    return this.lastForgivenAt !== null && now - this.lastForgivenAt < this.thresholds.tripMemoryMs;
  }
}

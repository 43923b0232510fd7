import type { HealthState } from './health/index.js';

/** Uptime from recorded transitions: pure, with `now` passed in. */

export interface StateChange {
  at: number;
  from: HealthState;
  to: HealthState;
}

export interface Uptime {
  /** Share of the observed time the model was healthy or degraded; null when nothing was observed. */
  ratio: number | null;
  /** Share of the period with a known state (not unknown, not a gap in the record). */
  observed: number;
  msByState: Record<HealthState, number>;
}

/**
 * Time in each state over [now - periodMs, now]. Each change starts a span in its `to` state that
 * lasts until the next change. When the next change does not start from that state, the record has
 * a gap (the service was restarted and began again at unknown) and the span counts as unknown; so
 * does the last span if the state now differs from it, and any time before the first change.
 * Changes must be oldest first and may start before the period.
 */
export function uptimeOver(
  changes: readonly StateChange[],
  now: number,
  periodMs: number,
  current: HealthState,
): Uptime {
  const start = now - periodMs;
  const msByState: Record<HealthState, number> = { healthy: 0, degraded: 0, unhealthy: 0, unknown: 0 };
  let covered = 0;
  changes.forEach((change, i) => {
    const next = changes[i + 1];
    const spanEnd = Math.min(next?.at ?? now, now);
    const spanStart = Math.max(change.at, start);
    if (spanEnd <= spanStart) return;
    const state = next
      ? next.from === change.to
        ? change.to
        : 'unknown'
      : change.to === current
        ? current
        : 'unknown';
    msByState[state] += spanEnd - spanStart;
    covered += spanEnd - spanStart;
  });
  msByState.unknown += periodMs - covered;
  const up = msByState.healthy + msByState.degraded;
  const known = up + msByState.unhealthy;
  return { ratio: known > 0 ? up / known : null, observed: known / periodMs, msByState };
}

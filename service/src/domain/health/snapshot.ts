// Building the cached, frozen snapshot of one model.
//
// Built once per addSample/tick, read many times (the interview path reads it on every start), so
// snapshot() is a field read. Everything reachable from it is frozen: callers cannot change engine
// state through it, and the window figures it points to are themselves frozen and replaced, never
// mutated, when the window changes.
import type { HealthSnapshot, HealthState, LastError, ResolvedThresholds } from './types.js';
import type { WindowFigures } from './window.js';

export interface SnapshotParts {
  modelId: string;
  state: HealthState;
  reason: string;
  since: number;
  figures: WindowFigures;
  consecutiveFailures: number;
  consecutiveSuccesses: number;
  requiredSuccesses: number;
  trips: number;
  lastSampleAt: number | null;
  lastProbeAt: number | null;
  lastSuccessAt: number | null;
  /** Must already be frozen (model-health freezes it once per error, not once per snapshot). */
  lastError: Readonly<LastError> | null;
  hedgeDelayMs: number;
  inFlight: number;
  firstTokenMisses: number;
  confirming: boolean;
  forgiveness: { streak: number; required: number };
  thresholds: ResolvedThresholds;
}

export function buildSnapshot(parts: SnapshotParts): HealthSnapshot {
  const { figures } = parts;
  return Object.freeze({
    modelId: parts.modelId,
    state: parts.state,
    reason: parts.reason,
    since: parts.since,
    latency: figures.latency,
    ttft: figures.ttft,
    errorRate: figures.errorRate,
    slowCallRate: figures.slowCallRate,
    samples: Object.freeze({ total: figures.total, bySource: figures.bySource, byOutcome: figures.byOutcome }),
    consecutiveFailures: parts.consecutiveFailures,
    consecutiveSuccesses: parts.consecutiveSuccesses,
    requiredSuccesses: parts.requiredSuccesses,
    trips: parts.trips,
    lastSampleAt: parts.lastSampleAt,
    lastProbeAt: parts.lastProbeAt,
    lastSuccessAt: parts.lastSuccessAt,
    lastError: parts.lastError,
    hedgeDelayMs: parts.hedgeDelayMs,
    inFlight: parts.inFlight,
    firstTokenMisses: parts.firstTokenMisses,
    confirming: parts.confirming,
    forgiveness: Object.freeze(parts.forgiveness),
    thresholds: parts.thresholds,
  });
}

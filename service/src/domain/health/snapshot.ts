// Building the cached, frozen snapshot of one model.
//
// Built once per addSample/tick, read many times (the interview path reads it on every start), so
// snapshot() is a field read. A tick that changes nothing keeps the previous snapshot object, so its
// identity changes only when its content does: readers may cache what they derive from it by identity
// (the health API serializes each model once per change, not once per read). Everything reachable from it is frozen: callers cannot change engine
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

/** The snapshot of `parts`: `previous` itself when it already says exactly that. */
export function buildSnapshot(parts: SnapshotParts, previous?: HealthSnapshot): HealthSnapshot {
  if (previous !== undefined && sameContent(parts, previous)) return previous;
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

// Window figures are frozen and replaced when the window changes, so identity stands for their content;
// lastError and thresholds likewise. Everything else is a scalar.
function sameContent(p: SnapshotParts, s: HealthSnapshot): boolean {
  const f = p.figures;
  return (
    p.modelId === s.modelId &&
    p.state === s.state &&
    p.reason === s.reason &&
    p.since === s.since &&
    f.latency === s.latency &&
    f.ttft === s.ttft &&
    f.errorRate === s.errorRate &&
    f.slowCallRate === s.slowCallRate &&
    f.total === s.samples.total &&
    f.bySource === s.samples.bySource &&
    f.byOutcome === s.samples.byOutcome &&
    p.consecutiveFailures === s.consecutiveFailures &&
    p.consecutiveSuccesses === s.consecutiveSuccesses &&
    p.requiredSuccesses === s.requiredSuccesses &&
    p.trips === s.trips &&
    p.lastSampleAt === s.lastSampleAt &&
    p.lastProbeAt === s.lastProbeAt &&
    p.lastSuccessAt === s.lastSuccessAt &&
    p.lastError === s.lastError &&
    p.hedgeDelayMs === s.hedgeDelayMs &&
    p.inFlight === s.inFlight &&
    p.firstTokenMisses === s.firstTokenMisses &&
    p.confirming === s.confirming &&
    p.forgiveness.streak === s.forgiveness.streak &&
    p.forgiveness.required === s.forgiveness.required &&
    p.thresholds === s.thresholds
  );
}

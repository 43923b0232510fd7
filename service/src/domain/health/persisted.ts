// Health across restarts: what is kept of one model, and its stored (JSON) form.
//
// Kept: state, reason, since, the failure run, the recovery streak and trip run (backoff), the
// forgiveness trip run, the last sample/probe/success/error times, and the window's samples. Not
// kept: calls in flight and censored misses (they belong to the process that made the calls), an
// open confirmation run, and a forgiveness streak half-way (proof is asked for afresh).
// Stored samples are arrays [at, source, outcome, latencyMs, ttftMs] (about 45 bytes each in JSON).
import type { FailureFact } from './rules.js';
import { HEALTH_STATES, OUTCOMES, SAMPLE_SOURCES } from './types.js';
import type { HealthState, LastError } from './types.js';
import type { WindowEntry } from './window.js';

export const PERSISTED_VERSION = 1;

export interface HealthMemento {
  state: HealthState;
  reason: string;
  since: number;
  consecutiveFailures: number;
  probeStreak: number;
  /** Offsets are relative to the first sample kept. */
  streakStartOffset: number;
  streakStartedAt: number;
  trips: number;
  lastRecoveryAt: number | null;
  tripReason: string;
  forgiveness: { trips: number; lastForgivenAt: number | null };
  lastSampleAt: number | null;
  lastProbeAt: number | null;
  lastSuccessAt: number | null;
  lastError: LastError | null;
  lastHardFailure: FailureFact | null;
  lastRateLimited: (FailureFact & { sequence: number }) | null;
  samples: WindowEntry[];
}

type StoredSample = [number, number, number, number, number | null];

/** The memento as JSON text, samples compacted to arrays. */
export function encodeMemento(memento: HealthMemento): string {
  const samples: StoredSample[] = memento.samples.map((e) => [
    e.at,
    SAMPLE_SOURCES.indexOf(e.source),
    OUTCOMES.indexOf(e.outcome),
    e.latencyMs,
    e.ttftMs,
  ]);
  return JSON.stringify({ version: PERSISTED_VERSION, ...memento, samples });
}

/** Parses what encodeMemento wrote; throws RangeError naming the field when it is not that. */
export function decodeMemento(text: string): HealthMemento {
  const raw = JSON.parse(text) as Record<string, unknown>;
  if (raw.version !== PERSISTED_VERSION)
    throw new RangeError(`unknown persisted health version ${String(raw.version)}`);
  if (!HEALTH_STATES.includes(raw.state as HealthState)) throw new RangeError('persisted health: bad state');
  for (const key of ['since', 'consecutiveFailures', 'probeStreak', 'streakStartOffset', 'streakStartedAt', 'trips']) {
    if (!Number.isFinite(raw[key])) throw new RangeError(`persisted health: ${key} must be a number`);
  }
  if (!Array.isArray(raw.samples)) throw new RangeError('persisted health: samples must be a list');
  const samples = (raw.samples as unknown[]).map(decodeSample);
  return { ...(raw as unknown as HealthMemento), samples };
}

function decodeSample(value: unknown, index: number): WindowEntry {
  const fields = value as StoredSample;
  const source = SAMPLE_SOURCES[fields[1]];
  const outcome = OUTCOMES[fields[2]];
  const ok =
    Array.isArray(value) &&
    Number.isFinite(fields[0]) &&
    source !== undefined &&
    outcome !== undefined &&
    Number.isFinite(fields[3]) &&
    fields[3] >= 0 &&
    (fields[4] === null || (Number.isFinite(fields[4]) && fields[4] >= 0));
  if (!ok) throw new RangeError(`persisted health: samples[${index}] is not [at, source, outcome, latencyMs, ttftMs]`);
  return { at: fields[0], source, outcome, latencyMs: fields[3], ttftMs: fields[4] };
}

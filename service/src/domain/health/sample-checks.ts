// Checks and small helpers on samples, shared by the state machine and restore.
import { OUTCOMES, SAMPLE_SOURCES } from './types.js';
import type { Sample } from './types.js';

/** Samples may arrive slightly out of order (calls overlap): "last ... at" keeps the newest time. */
export function latest(previous: number | null, at: number): number {
  return previous === null ? at : Math.max(previous, at);
}

const VALID_OUTCOMES: ReadonlySet<string> = new Set(OUTCOMES);
const VALID_SOURCES: ReadonlySet<string> = new Set(SAMPLE_SOURCES);

/** Garbage in would corrupt the sorted windows (NaN never compares), so reject it loudly. */
export function assertValidSample(sample: Sample): void {
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

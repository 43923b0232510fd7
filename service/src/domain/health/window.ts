// The sample window of one model: a fixed-capacity ring buffer plus the statistics over it.
//
// Memory grows with the samples held, doubling from INITIAL_SLOTS up to the capacity (26 bytes a slot for
// the ring, plus 2 × 8 bytes for the sorted latency and TTFT values) and never beyond it, whatever the
// traffic: 1,000 models probed every 10 s hold a few dozen samples each, not 1,000 × 2048 slots (85 MB).
// Samples leave the window when the cap is reached (oldest first) or when older than windowMs.
import { SortedValues } from './percentiles.js';
import { OUTCOMES, SAMPLE_SOURCES } from './types.js';
import type { LatencyFigures, Outcome, SampleSource } from './types.js';

export interface WindowEntry {
  at: number;
  source: SampleSource;
  outcome: Outcome;
  latencyMs: number;
  ttftMs: number | null;
}

/** Statistics over the window; frozen and shared with snapshots until the window changes. */
export interface WindowFigures {
  readonly total: number;
  readonly successes: number;
  readonly hardFailures: number;
  readonly rateLimited: number;
  readonly bySource: Readonly<Record<SampleSource, number>>;
  readonly byOutcome: Readonly<Record<Outcome, number>>;
  /** Successful samples only. */
  readonly latency: Readonly<LatencyFigures>;
  /** Samples with a ttftMs, any outcome. */
  readonly ttft: Readonly<LatencyFigures>;
  readonly errorRate: number | null;
  readonly slowCallRate: number | null;
}

const OUTCOME_INDEX = new Map<Outcome, number>(OUTCOMES.map((outcome, index) => [outcome, index]));
const SOURCE_INDEX = new Map<SampleSource, number>(SAMPLE_SOURCES.map((source, index) => [source, index]));
const SUCCESS_INDEX = OUTCOME_INDEX.get('success') as number;
const RATE_LIMITED_INDEX = OUTCOME_INDEX.get('rate_limited') as number;
/** Slots allocated at first; doubled as samples arrive, up to the capacity. */
export const INITIAL_SLOTS = 32;
/** Marks "no value" (no ttft, not a success) in the Float64 ring. */
const NONE = Number.NaN;

export class SampleWindow {
  readonly capacity: number;
  private readonly windowMs: number;
  private readonly latencySloMs: number;
  // Ring buffer as parallel typed arrays: compact and free of per-sample objects for the GC to trace.
  private atMs: Float64Array;
  private latencyMs: Float64Array;
  private ttftMs: Float64Array;
  private outcomeIndex: Uint8Array;
  private sourceIndex: Uint8Array;
  private head = 0;
  private count = 0;
  /** Sequence number of the entry at head; entries are numbered 0, 1, 2... in arrival order. */
  private headSequence = 0;
  private newestAtMs = Number.NEGATIVE_INFINITY;
  private readonly outcomeCounts = new Int32Array(OUTCOMES.length);
  private readonly sourceCounts = new Int32Array(SAMPLE_SOURCES.length);
  private readonly successLatencies: SortedValues;
  private readonly ttfts: SortedValues;
  private cachedFigures: WindowFigures | null = null;

  constructor(capacity: number, windowMs: number, latencySloMs: number) {
    this.capacity = capacity;
    this.windowMs = windowMs;
    this.latencySloMs = latencySloMs;
    const slots = Math.min(capacity, INITIAL_SLOTS);
    this.atMs = new Float64Array(slots);
    this.latencyMs = new Float64Array(slots);
    this.ttftMs = new Float64Array(slots);
    this.outcomeIndex = new Uint8Array(slots);
    this.sourceIndex = new Uint8Array(slots);
    this.successLatencies = new SortedValues(capacity);
    this.ttfts = new SortedValues(capacity);
  }

  get size(): number {
    return this.count;
  }

  /** Sequence number the next pushed entry will get. */
  get nextSequence(): number {
    return this.headSequence + this.count;
  }

  /**
   * Adds an entry, evicting the oldest when full, and returns its sequence number.
   * Times are kept non-decreasing (an entry older than the newest takes the newest time), so expiry
   * can pop from the head: a late-arriving sample expires with its neighbours, never before them.
   */
  push(entry: WindowEntry): number {
    const outcome = OUTCOME_INDEX.get(entry.outcome);
    const source = SOURCE_INDEX.get(entry.source);
    if (outcome === undefined || source === undefined) throw new RangeError('unknown outcome or source');
    const arrivingLatency = outcome === SUCCESS_INDEX ? entry.latencyMs : NONE;
    const arrivingTtft = entry.ttftMs ?? NONE;
    if (this.count === this.capacity) {
      // Full: the evicted entry's values are exchanged for the new ones in a single move each.
      const slot = this.head;
      const leavingLatency = this.outcomeIndex[slot] === SUCCESS_INDEX ? (this.latencyMs[slot] as number) : NONE;
      const leavingTtft = this.ttftMs[slot] as number;
      this.dropHead();
      exchange(this.successLatencies, leavingLatency, arrivingLatency);
      exchange(this.ttfts, leavingTtft, arrivingTtft);
    } else {
      if (this.count === this.atMs.length) this.grow();
      exchange(this.successLatencies, NONE, arrivingLatency);
      exchange(this.ttfts, NONE, arrivingTtft);
    }
    const slot = (this.head + this.count) % this.atMs.length;
    this.newestAtMs = Math.max(this.newestAtMs, entry.at);
    this.atMs[slot] = this.newestAtMs;
    this.latencyMs[slot] = entry.latencyMs;
    this.ttftMs[slot] = arrivingTtft;
    this.outcomeIndex[slot] = outcome;
    this.sourceIndex[slot] = source;
    this.count += 1;
    this.outcomeCounts[outcome] = (this.outcomeCounts[outcome] as number) + 1;
    this.sourceCounts[source] = (this.sourceCounts[source] as number) + 1;
    this.cachedFigures = null;
    return this.nextSequence - 1;
  }

  /** Doubles the ring (up to the capacity), its entries laid out from slot 0 in arrival order. */
  private grow(): void {
    const slots = Math.min(this.capacity, this.atMs.length * 2);
    const unrolled = <T extends Float64Array | Uint8Array>(from: T, to: T): T => {
      for (let i = 0; i < this.count; i++) to[i] = from[(this.head + i) % from.length] as number;
      return to;
    };
    this.atMs = unrolled(this.atMs, new Float64Array(slots));
    this.latencyMs = unrolled(this.latencyMs, new Float64Array(slots));
    this.ttftMs = unrolled(this.ttftMs, new Float64Array(slots));
    this.outcomeIndex = unrolled(this.outcomeIndex, new Uint8Array(slots));
    this.sourceIndex = unrolled(this.sourceIndex, new Uint8Array(slots));
    this.head = 0;
  }

  /** Drops entries with at ≤ now − windowMs (a sample is in the window while its age < windowMs). */
  evictExpired(now: number): number {
    const cutoff = now - this.windowMs;
    let evicted = 0;
    while (this.count > 0 && (this.atMs[this.head] as number) <= cutoff) {
      this.evictHead();
      evicted += 1;
    }
    return evicted;
  }

  /** Drops every entry older than the given sequence number (a fresh window after recovery). */
  evictBefore(sequence: number): number {
    let evicted = 0;
    while (this.count > 0 && this.headSequence < sequence) {
      this.evictHead();
      evicted += 1;
    }
    return evicted;
  }

  /** Statistics, recomputed only after the window changed; percentile lookups are O(1). */
  figures(): WindowFigures {
    this.cachedFigures ??= this.computeFigures();
    return this.cachedFigures;
  }

  /** Entries oldest first, as stored (tests and debugging). */
  entries(): WindowEntry[] {
    const result: WindowEntry[] = [];
    for (let offset = 0; offset < this.count; offset += 1) {
      const slot = (this.head + offset) % this.atMs.length;
      const ttft = this.ttftMs[slot] as number;
      result.push({
        at: this.atMs[slot] as number,
        source: SAMPLE_SOURCES[this.sourceIndex[slot] as number] as SampleSource,
        outcome: OUTCOMES[this.outcomeIndex[slot] as number] as Outcome,
        latencyMs: this.latencyMs[slot] as number,
        ttftMs: Number.isNaN(ttft) ? null : ttft,
      });
    }
    return result;
  }

  private evictHead(): void {
    const slot = this.head;
    if (this.outcomeIndex[slot] === SUCCESS_INDEX) this.successLatencies.remove(this.latencyMs[slot] as number);
    const ttft = this.ttftMs[slot] as number;
    if (!Number.isNaN(ttft)) this.ttfts.remove(ttft);
    this.dropHead();
  }

  /** Removes the head from the ring and the counts; the caller takes care of the sorted values. */
  private dropHead(): void {
    const slot = this.head;
    const outcome = this.outcomeIndex[slot] as number;
    const source = this.sourceIndex[slot] as number;
    this.outcomeCounts[outcome] = (this.outcomeCounts[outcome] as number) - 1;
    this.sourceCounts[source] = (this.sourceCounts[source] as number) - 1;
    this.head = (this.head + 1) % this.atMs.length;
    this.count -= 1;
    this.headSequence += 1;
    this.cachedFigures = null;
  }

  private computeFigures(): WindowFigures {
    const total = this.count;
    const successes = this.outcomeCounts[SUCCESS_INDEX] as number;
    const rateLimited = this.outcomeCounts[RATE_LIMITED_INDEX] as number;
    const hardFailures = total - successes - rateLimited;
    const slowCalls = this.successLatencies.countAbove(this.latencySloMs);
    return Object.freeze({
      total,
      successes,
      hardFailures,
      rateLimited,
      bySource: this.countsBySource(),
      byOutcome: this.countsByOutcome(),
      latency: figuresOf(this.successLatencies),
      ttft: figuresOf(this.ttfts),
      errorRate: total === 0 ? null : hardFailures / total,
      slowCallRate: successes === 0 ? null : slowCalls / successes,
    });
  }

  private countsByOutcome(): Readonly<Record<Outcome, number>> {
    const counts = {} as Record<Outcome, number>;
    for (let index = 0; index < OUTCOMES.length; index += 1) {
      counts[OUTCOMES[index] as Outcome] = this.outcomeCounts[index] as number;
    }
    return Object.freeze(counts);
  }

  private countsBySource(): Readonly<Record<SampleSource, number>> {
    return Object.freeze({
      probe: this.sourceCounts[SOURCE_INDEX.get('probe') as number] as number,
      interview: this.sourceCounts[SOURCE_INDEX.get('interview') as number] as number,
    });
  }
}

/** Swaps one value for another in a sorted set; NONE on either side means nothing leaves / arrives. */
function exchange(values: SortedValues, leaving: number, arriving: number): void {
  const hasLeaving = !Number.isNaN(leaving);
  const hasArriving = !Number.isNaN(arriving);
  if (hasLeaving && hasArriving) values.replace(leaving, arriving);
  else if (hasLeaving) values.remove(leaving);
  else if (hasArriving) values.insert(arriving);
}

function figuresOf(values: SortedValues): Readonly<LatencyFigures> {
  return Object.freeze({ p50Ms: values.percentile(50), p95Ms: values.percentile(95), p99Ms: values.percentile(99) });
}

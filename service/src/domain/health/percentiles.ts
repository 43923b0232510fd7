// Exact percentiles over a window, kept sorted as samples come and go.
//
// Method: nearest rank. For n sorted values and percentile p (0 < p ≤ 100) the answer is the value
// at 1-based rank ceil(p × n / 100). It is always an observed value (no interpolation), so
// "p95 3.8 s" means a real call took 3.8 s. Computed in integers (p × n) to avoid 0.95 × 20 ≠ 19 surprises.

/** 0-based index of the nearest-rank p-th percentile among n sorted values (n ≥ 1). */
export function nearestRankIndex(count: number, percent: number): number {
  if (count < 1) throw new RangeError(`nearest rank needs at least one value, got ${count}`);
  if (!(percent > 0 && percent <= 100)) throw new RangeError(`percentile must be in (0, 100], got ${percent}`);
  const rank = Math.ceil((percent * count) / 100);
  return Math.min(Math.max(rank, 1), count) - 1;
}

/** Nearest-rank percentile of an already sorted array; null when empty. */
export function percentileOfSorted(sorted: ArrayLike<number>, percent: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[nearestRankIndex(sorted.length, percent)] ?? null;
}

/**
 * A sorted multiset of numbers with a fixed capacity, in one Float64Array that doubles up to it as values come.
 * Insert and remove are a binary search plus one memmove (copyWithin) of at most capacity × 8 bytes:
 * about a microsecond for 2048 values, far cheaper than re-sorting the window on every sample.
 * Percentile lookups are O(1).
 */
export class SortedValues {
  private values: Float64Array;
  private count = 0;

  constructor(
    private readonly capacity: number,
    initialSlots = 32,
  ) {
    this.values = new Float64Array(Math.min(capacity, initialSlots));
  }

  get size(): number {
    return this.count;
  }

  insert(value: number): void {
    if (this.count === this.capacity) throw new RangeError('SortedValues is full');
    if (this.count === this.values.length) {
      const grown = new Float64Array(Math.min(this.capacity, this.values.length * 2));
      grown.set(this.values);
      this.values = grown;
    }
    const at = this.upperBound(value);
    this.values.copyWithin(at + 1, at, this.count);
    this.values[at] = value;
    this.count += 1;
  }

  /** Removes one occurrence of value; false if absent. */
  remove(value: number): boolean {
    const at = this.lowerBound(value);
    if (at >= this.count || this.values[at] !== value) return false;
    this.values.copyWithin(at, at + 1, this.count);
    this.count -= 1;
    return true;
  }

  /**
   * Removes one occurrence of `leaving` and inserts `arriving` in one pass, moving only the values
   * between the two positions: when the window is full every new sample evicts an old one, and this
   * moves about a third of what a remove plus an insert would. False (and no change) if `leaving` is absent.
   */
  replace(leaving: number, arriving: number): boolean {
    const from = this.lowerBound(leaving);
    if (from >= this.count || this.values[from] !== leaving) return false;
    if (arriving >= leaving) {
      // Values in (from, to] shift left by one; arriving takes the last freed slot.
      const to = this.upperBound(arriving) - 1;
      this.values.copyWithin(from, from + 1, to + 1);
      this.values[to] = arriving;
    } else {
      // Values in [to, from) shift right by one, over `leaving`.
      const to = this.upperBound(arriving);
      this.values.copyWithin(to + 1, to, from);
      this.values[to] = arriving;
    }
    return true;
  }

  percentile(percent: number): number | null {
    if (this.count === 0) return null;
    return this.values[nearestRankIndex(this.count, percent)] ?? null;
  }

  /** How many values are strictly greater than the bound. */
  countAbove(bound: number): number {
    return this.count - this.upperBound(bound);
  }

  /** Copy of the values, ascending (tests and debugging). */
  toArray(): number[] {
    return Array.from(this.values.subarray(0, this.count));
  }

  /** First index whose value is ≥ target. */
  private lowerBound(target: number): number {
    let low = 0;
    let high = this.count;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((this.values[mid] as number) < target) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /** First index whose value is > target. */
  private upperBound(target: number): number {
    let low = 0;
    let high = this.count;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((this.values[mid] as number) <= target) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}

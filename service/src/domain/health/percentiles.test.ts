import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SortedValues, nearestRankIndex, percentileOfSorted } from './percentiles.js';

describe('nearest-rank percentiles', () => {
  it.each([
    [1, 50, 0],
    [1, 99, 0],
    [2, 50, 0],
    [2, 95, 1],
    [10, 50, 4],
    [10, 95, 9],
    [20, 95, 18],
    [100, 95, 94],
    [100, 99, 98],
    [100, 100, 99],
    [2048, 99, 2027],
  ])('when n = %i and p = %i, then the 0-based index is %i', (count, percent, expected) => {
    expect(nearestRankIndex(count, percent)).toBe(expected);
  });

  it('when there are no values or p is out of range, then it refuses', () => {
    expect(() => nearestRankIndex(0, 50)).toThrow(RangeError);
    expect(() => nearestRankIndex(5, 0)).toThrow(RangeError);
    expect(() => nearestRankIndex(5, 101)).toThrow(RangeError);
    expect(percentileOfSorted([], 50)).toBeNull();
  });
});

describe('SortedValues', () => {
  it('when values are inserted and removed, then they stay sorted with duplicates kept', () => {
    const values = new SortedValues(8);
    for (const value of [5, 1, 3, 3, 9]) values.insert(value);
    expect(values.toArray()).toEqual([1, 3, 3, 5, 9]);
    expect(values.remove(3)).toBe(true);
    expect(values.remove(4)).toBe(false);
    expect(values.toArray()).toEqual([1, 3, 5, 9]);
    expect(values.countAbove(3)).toBe(2);
    expect(values.percentile(50)).toBe(3);
  });

  it('when full, then insert refuses rather than overflow', () => {
    const values = new SortedValues(1);
    values.insert(1);
    expect(() => values.insert(2)).toThrow(RangeError);
  });

  it('when a value is replaced by a larger, smaller, equal or absent one, then order holds', () => {
    const values = new SortedValues(8);
    for (const value of [10, 20, 30, 40]) values.insert(value);
    expect(values.replace(20, 35)).toBe(true);
    expect(values.toArray()).toEqual([10, 30, 35, 40]);
    expect(values.replace(40, 5)).toBe(true);
    expect(values.toArray()).toEqual([5, 10, 30, 35]);
    expect(values.replace(30, 30)).toBe(true);
    expect(values.toArray()).toEqual([5, 10, 30, 35]);
    expect(values.replace(99, 1)).toBe(false);
    expect(values.toArray()).toEqual([5, 10, 30, 35]);
  });

  it('when random inserts, removals and replacements happen, then percentiles match sorting a plain array', () => {
    const operation = fc.oneof(
      fc.record({ insert: fc.double({ min: 0, max: 1e6, noNaN: true }) }),
      fc.record({ removeAt: fc.nat() }),
      fc.record({ replaceAt: fc.nat(), by: fc.double({ min: 0, max: 1e6, noNaN: true }) }),
    );
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 200 }), (operations) => {
        const sorted = new SortedValues(256);
        const oracle: number[] = [];
        for (const op of operations) {
          if ('insert' in op) {
            sorted.insert(op.insert);
            oracle.push(op.insert);
          } else if (oracle.length === 0) {
            continue;
          } else if ('removeAt' in op) {
            const [removed] = oracle.splice(op.removeAt % oracle.length, 1);
            expect(sorted.remove(removed as number)).toBe(true);
          } else {
            const [replaced] = oracle.splice(op.replaceAt % oracle.length, 1, op.by);
            expect(sorted.replace(replaced as number, op.by)).toBe(true);
          }
        }
        const expected = [...oracle].sort((a, b) => a - b);
        expect(sorted.toArray()).toEqual(expected);
        for (const percent of [50, 95, 99])
          expect(sorted.percentile(percent)).toBe(percentileOfSorted(expected, percent));
      }),
    );
  });
});

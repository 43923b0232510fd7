import { describe, expect, it } from 'vitest';
import { describeOutcome, formatDuration, formatPercent, plural } from './reason.js';

describe('reason formatting', () => {
  it.each([
    [0, '0 ms'],
    [412.4, '412 ms'],
    [999.4, '999 ms'],
    [999.6, '1 s'],
    [3000, '3 s'],
    [3800, '3.8 s'],
    [9_949, '9.9 s'],
    [41_200, '41 s'],
    [60_000, '60 s'],
    [300_000, '5 min'],
    [150_000, '2.5 min'],
    [9_000_000, '2.5 h'],
    [-5, '0 ms'],
  ])('when a duration is %d ms, then it reads %s', (ms, expected) => {
    expect(formatDuration(ms)).toBe(expected);
  });

  it.each([
    [0, '0%'],
    [0.6, '60%'],
    [1 / 11, '9.1%'],
    [1, '100%'],
    [0.12, '12%'],
  ])('when a ratio is %d, then it reads %s', (ratio, expected) => {
    expect(formatPercent(ratio)).toBe(expected);
  });

  it('when counting, then the noun agrees with the number', () => {
    expect(plural(1, 'sample')).toBe('1 sample');
    expect(plural(2, 'sample')).toBe('2 samples');
    expect(plural(2, 'success', 'successes')).toBe('2 successes');
  });

  it('when an outcome has an HTTP status, then it is shown', () => {
    expect(describeOutcome('server_error', 500)).toBe('server_error (HTTP 500)');
    expect(describeOutcome('timeout', null)).toBe('timeout');
  });
});

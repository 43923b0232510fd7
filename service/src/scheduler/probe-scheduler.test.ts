import { describe, expect, it } from 'vitest';
import { nextProbeDue } from './probe-scheduler.js';

describe('nextProbeDue', () => {
  it.each([
    ['when healthy (10 s) with no jitter drawn, then 10 s after the probe ended', 1_000, 10_000, 1_000, 0, 11_000],
    ['when unhealthy (5 s), then sooner', 1_000, 5_000, 1_000, 0, 6_000],
    ['when the jitter draw is near 1, then up to the jitter later', 1_000, 10_000, 1_000, 0.999, 11_999],
    ['when jitter is off, then exactly the interval', 0, 10_000, 0, 0.7, 10_000],
  ])('%s', (_name, finishedAt, intervalMs, jitterMs, draw, expected) => {
    expect(nextProbeDue(finishedAt, intervalMs, jitterMs, () => draw)).toBe(expected);
  });
});

import { describe, expect, it } from 'vitest';
import type { HealthState } from '../domain/health/index.js';
import { nextProbeDue } from './probe-scheduler.js';

const plan = (jitterMs: number) => ({
  intervalMs: 10_000,
  unhealthyIntervalMs: 5_000,
  timeoutMs: 10_000,
  jitterMs,
  maxTokens: 1,
});

describe('nextProbeDue', () => {
  it.each<[string, number, HealthState, number, number, number]>([
    ['when healthy (10 s) with no jitter drawn, then 10 s after the probe ended', 1_000, 'healthy', 1_000, 0, 11_000],
    ['when degraded, then the healthy interval too', 1_000, 'degraded', 1_000, 0, 11_000],
    ['when unhealthy (5 s), then sooner', 1_000, 'unhealthy', 1_000, 0, 6_000],
    ['when the jitter draw is near 1, then up to the jitter later', 1_000, 'healthy', 1_000, 0.999, 11_999],
    ['when jitter is off, then exactly the interval', 0, 'unknown', 0, 0.7, 10_000],
  ])('%s', (_name, finishedAt, state, jitterMs, draw, expected) => {
    expect(nextProbeDue(finishedAt, plan(jitterMs), state, () => draw)).toBe(expected);
  });
});

import { describe, expect, it } from 'vitest';
import type { HealthState } from '../domain/health/index.js';
import { nextProbeDue } from './probe-scheduler.js';

const plan = (jitterMs: number) => ({
  intervalMs: 10_000,
  unhealthyIntervalMs: 5_000,
  degradedIntervalMs: 5_000,
  confirmIntervalMs: 1_000,
  timeoutMs: 10_000,
  jitterMs,
  maxTokens: 1,
});

describe('nextProbeDue', () => {
  it.each<[string, number, HealthState, number, number, number]>([
    ['when healthy (10 s) with no jitter drawn, then 10 s after the probe ended', 1_000, 'healthy', 1_000, 0, 11_000],
    ['when degraded (5 s), then sooner, to prove forgiveness', 1_000, 'degraded', 1_000, 0, 6_000],
    ['when unhealthy (5 s), then sooner', 1_000, 'unhealthy', 1_000, 0, 6_000],
    ['when the jitter draw is near 1, then up to the jitter later', 1_000, 'healthy', 1_000, 0.999, 11_999],
    ['when jitter is off, then exactly the interval', 0, 'unknown', 0, 0.7, 10_000],
  ])('%s', (_name, finishedAt, state, jitterMs, draw, expected) => {
    expect(nextProbeDue(finishedAt, plan(jitterMs), { state, confirming: false }, () => draw)).toBe(expected);
  });

  it('when a failure is being confirmed, then the next probe comes after the confirm interval (1 s)', () => {
    expect(nextProbeDue(1_000, plan(0), { state: 'healthy', confirming: true }, () => 0)).toBe(2_000);
  });
});

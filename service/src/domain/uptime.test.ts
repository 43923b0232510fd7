import { describe, expect, it } from 'vitest';
import { uptimeOver, type StateChange } from './uptime.js';
import type { HealthState } from './health/index.js';

const H = 3_600_000;
const NOW = 100 * H;
const at = (hoursAgo: number, from: HealthState, to: HealthState): StateChange => ({
  at: NOW - hoursAgo * H,
  from,
  to,
});

describe('uptimeOver', () => {
  it.each<[string, StateChange[], HealthState, number | null, number]>([
    ['when nothing was recorded, then there is no figure and nothing observed', [], 'unknown', null, 0],
    [
      'when the model was healthy the whole period, then uptime is 100%',
      [at(30, 'unknown', 'healthy')],
      'healthy',
      1,
      1,
    ],
    [
      'when it was unhealthy for 6 of 24 hours, then uptime is 75%',
      [at(30, 'unknown', 'healthy'), at(12, 'healthy', 'unhealthy'), at(6, 'unhealthy', 'healthy')],
      'healthy',
      0.75,
      1,
    ],
    [
      'when degraded, then it counts as up',
      [at(30, 'unknown', 'healthy'), at(12, 'healthy', 'degraded')],
      'degraded',
      1,
      1,
    ],
    [
      'when the record has a gap (a restart), then the gap counts as unknown, not as the last state',
      [at(30, 'unknown', 'unhealthy'), at(12, 'unknown', 'healthy')],
      'healthy',
      1,
      0.5,
    ],
    [
      'when the state now differs from the last change (restarted since), then the last span is unknown',
      [at(30, 'unknown', 'healthy'), at(12, 'healthy', 'unhealthy')],
      'unknown',
      1,
      0.5,
    ],
  ])('%s', (_name, changes, current, ratio, observed) => {
    const result = uptimeOver(changes, NOW, 24 * H, current);
    expect(result.ratio).toBe(ratio);
    expect(result.observed).toBeCloseTo(observed, 9);
  });
});

import { describe, expect, it } from 'vitest';
import { probeIntervalFor, type ProbeView } from './probe-plan.js';

const cadence = { intervalMs: 10_000, unhealthyIntervalMs: 5_000, degradedIntervalMs: 5_000, confirmIntervalMs: 1_000 };

const cases: Array<{ name: string; view: ProbeView; expected: number }> = [
  { name: 'when healthy, then the normal interval', view: { state: 'healthy', confirming: false }, expected: 10_000 },
  { name: 'when unknown, then the normal interval', view: { state: 'unknown', confirming: false }, expected: 10_000 },
  {
    name: 'when degraded, then the degraded interval',
    view: { state: 'degraded', confirming: false },
    expected: 5_000,
  },
  {
    name: 'when unhealthy, then the unhealthy interval',
    view: { state: 'unhealthy', confirming: false },
    expected: 5_000,
  },
  {
    name: 'when a failure is being confirmed, then the confirm interval',
    view: { state: 'healthy', confirming: true },
    expected: 1_000,
  },
  {
    name: 'when confirming while degraded, then the confirm interval',
    view: { state: 'degraded', confirming: true },
    expected: 1_000,
  },
];

describe('probe cadence', () => {
  it.each(cases)('$name', ({ view, expected }) => {
    expect(probeIntervalFor(cadence, view)).toBe(expected);
  });

  it('when the confirm interval is longer than the state interval, then the shorter one applies', () => {
    expect(probeIntervalFor({ ...cadence, confirmIntervalMs: 8_000 }, { state: 'unhealthy', confirming: true })).toBe(
      5_000,
    );
  });
});

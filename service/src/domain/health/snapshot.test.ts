// The cached snapshot keeps its identity while its content is unchanged (readers cache what they derive
// from it by identity, http/health-body.ts), and is replaced as soon as anything it shows changes.
import { describe, expect, it } from 'vitest';
import { buildSnapshot, type SnapshotParts } from './snapshot.js';
import { DEFAULT_THRESHOLDS } from './thresholds.js';
import { Scenario, probe, times, wait, type Step } from '../../../test/support/health-scenario.js';
import type { WindowFigures } from './window.js';

const SECOND = 1000;
const healthy = times(10, probe());
const tripped = times(3, probe('server_error'));

/** The history, then `seconds` ticks one second apart; `before` is the snapshot before the last tick. */
function tickedFor(history: Step[], seconds: number) {
  const scenario = new Scenario().run([history, times(seconds - 1, wait(SECOND))]);
  const before = scenario.snapshot();
  return { scenario: scenario.run([wait(SECOND)]), before };
}

describe('snapshot identity across ticks (injected clock)', () => {
  it.each([
    { case: 'healthy, nothing expired, nothing stale', history: healthy, seconds: 5, same: true },
    { case: 'healthy, long before the window edge', history: healthy, seconds: 200, same: true },
    {
      case: 'healthy, the last tick drops the oldest sample at the window edge',
      history: healthy,
      seconds: 291,
      same: false,
    },
    { case: 'healthy, the last tick makes the model stale', history: healthy, seconds: 30, same: false },
    { case: 'stale: the reason counts the seconds without a sample', history: healthy, seconds: 40, same: false },
    { case: 'unhealthy and stale', history: tripped, seconds: 40, same: false },
    { case: 'unhealthy, not yet stale', history: tripped, seconds: 10, same: true },
  ])('when $case, then the last tick keeps the snapshot object: $same', ({ history, seconds, same }) => {
    const { scenario, before } = tickedFor(history, seconds);
    expect(scenario.snapshot() === before).toBe(same);
  });

  it('when a sample arrives, then a new snapshot replaces the kept one', () => {
    const scenario = new Scenario().run([healthy, wait(SECOND)]);
    const before = scenario.snapshot();
    scenario.run([probe()]);
    expect(scenario.snapshot()).not.toBe(before);
    expect(scenario.snapshot().samples.total).toBe(before.samples.total + 1);
  });
});

const figures = (total: number): WindowFigures =>
  Object.freeze({
    total,
    successes: total,
    hardFailures: 0,
    rateLimited: 0,
    bySource: Object.freeze({ probe: total, interview: 0 }),
    byOutcome: Object.freeze({ success: total }) as WindowFigures['byOutcome'],
    latency: Object.freeze({ p50Ms: 150, p95Ms: 180, p99Ms: 190 }),
    ttft: Object.freeze({ p50Ms: 60, p95Ms: 70, p99Ms: 75 }),
    errorRate: 0,
    slowCallRate: 0,
  });
const PARTS: SnapshotParts = {
  modelId: 'openai:gpt-4o',
  state: 'healthy',
  reason: 'p95 180 ms ≤ SLO 3 s',
  since: 1_000,
  figures: figures(10),
  consecutiveFailures: 0,
  consecutiveSuccesses: 10,
  requiredSuccesses: 2,
  trips: 0,
  lastSampleAt: 2_000,
  lastProbeAt: 2_000,
  lastSuccessAt: 2_000,
  lastError: Object.freeze({ at: 1_500, outcome: 'timeout', httpStatus: null, message: 'timed out' }),
  hedgeDelayMs: 500,
  inFlight: 0,
  firstTokenMisses: 0,
  confirming: false,
  forgiveness: { streak: 3, required: 3 },
  thresholds: DEFAULT_THRESHOLDS,
};
// One change per field; typed over every key, so a new snapshot field needs its case here.
const CHANGED: { [K in keyof SnapshotParts]: SnapshotParts[K] } = {
  modelId: 'openai:gpt-4o-mini',
  state: 'degraded',
  reason: 'p95 3.2 s > SLO 3 s',
  since: 1_001,
  figures: figures(11),
  consecutiveFailures: 1,
  consecutiveSuccesses: 11,
  requiredSuccesses: 4,
  trips: 1,
  lastSampleAt: 2_001,
  lastProbeAt: 2_001,
  lastSuccessAt: null,
  lastError: null,
  hedgeDelayMs: 501,
  inFlight: 1,
  firstTokenMisses: 1,
  confirming: true,
  forgiveness: { streak: 2, required: 3 },
  thresholds: { ...DEFAULT_THRESHOLDS, latencySloMs: 2_000 },
};

describe('buildSnapshot with the previous snapshot', () => {
  it('when the parts say what the previous snapshot says, then it is returned as is', () => {
    const previous = buildSnapshot(PARTS);
    const again = buildSnapshot({ ...PARTS, forgiveness: { ...PARTS.forgiveness } }, previous);
    expect(again).toBe(previous);
    expect(again).toEqual(buildSnapshot(PARTS));
  });

  it.each(Object.keys(CHANGED) as Array<keyof SnapshotParts>)(
    'when only %s changed, then a new snapshot equal to one computed afresh',
    (key) => {
      const previous = buildSnapshot(PARTS);
      const parts = { ...PARTS, [key]: CHANGED[key] };
      const next = buildSnapshot(parts, previous);
      expect(next).not.toBe(previous);
      expect(next).toEqual(buildSnapshot(parts));
      expect(next).not.toEqual(previous);
    },
  );
});

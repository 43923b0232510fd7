// The public API as the service codes against it: names, shapes and constants (compile-time and runtime).
import { describe, expect, expectTypeOf, it } from 'vitest';
import * as health from './index.js';
import { DEFAULT_THRESHOLDS, HEALTH_STATES, HealthEngine, OUTCOMES, resolveThresholds } from './index.js';
import type {
  HealthSnapshot,
  HealthState,
  HealthThresholds,
  ThresholdOverrides,
  LatencyFigures,
  Outcome,
  Sample,
  SampleSource,
  Transition,
} from './index.js';

describe('public API', () => {
  it('when imported, then it exposes the agreed names and constants', () => {
    expect(Object.keys(health).sort()).toEqual(
      [
        'DEFAULT_THRESHOLDS',
        'HEALTH_STATES',
        'HealthEngine',
        'OUTCOMES',
        'THRESHOLD_DECLARATIONS',
        'crossThresholdProblems',
        'decodeMemento',
        'defaultThresholds',
        'describeRange',
        'encodeMemento',
        'fromFileUnit',
        'isHardFailure',
        'resolveThresholds',
        'thresholdValueProblem',
        'toFileUnit',
      ].sort(),
    );
    expect(OUTCOMES).toEqual([
      'success',
      'timeout',
      'connection',
      'rate_limited',
      'overloaded',
      'server_error',
      'auth',
      'not_found',
      'bad_request',
      'invalid_response',
    ]);
    expect(HEALTH_STATES).toEqual(['healthy', 'degraded', 'unhealthy', 'unknown']);
    expect(resolveThresholds({})).toMatchObject(DEFAULT_THRESHOLDS);
  });

  it('when typed as the service does, then the signatures match the interface', () => {
    expectTypeOf<Outcome>().toEqualTypeOf<(typeof OUTCOMES)[number]>();
    expectTypeOf<HealthState>().toEqualTypeOf<'healthy' | 'degraded' | 'unhealthy' | 'unknown'>();
    expectTypeOf<SampleSource>().toEqualTypeOf<'probe' | 'interview'>();
    expectTypeOf(HealthEngine).constructorParameters.toEqualTypeOf<[clock: () => number]>();
    expectTypeOf<HealthEngine['register']>().toEqualTypeOf<
      (modelId: string, overrides?: ThresholdOverrides, probeIntervalMs?: number) => void
    >();
    expectTypeOf<HealthEngine['addSample']>().toEqualTypeOf<(modelId: string, sample: Sample) => Transition | null>();
    expectTypeOf<HealthEngine['snapshot']>().toEqualTypeOf<(modelId: string) => HealthSnapshot>();
    expectTypeOf<HealthEngine['snapshots']>().toEqualTypeOf<() => HealthSnapshot[]>();
    expectTypeOf<HealthEngine['tick']>().toEqualTypeOf<() => Transition[]>();
    expectTypeOf<HealthEngine['modelIds']>().toEqualTypeOf<() => string[]>();
    expectTypeOf<HealthEngine['has']>().toEqualTypeOf<(modelId: string) => boolean>();
    expectTypeOf<HealthSnapshot['latency']>().toEqualTypeOf<LatencyFigures>();
    expectTypeOf(resolveThresholds).returns.toExtend<HealthThresholds>();
  });
});

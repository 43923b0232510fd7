// The engine's API: registry, transitions, probe intervals, invalid input, and snapshot caching/immutability.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { HealthEngine } from './engine.js';
import { SortedValues } from './percentiles.js';
import { MODEL, Scenario, T0, probe, times } from '../../../test/support/health-scenario.js';
import type { Sample } from './types.js';

const sample = (at: number, overrides: Partial<Sample> = {}): Sample => ({
  at,
  source: 'probe',
  outcome: 'success',
  latencyMs: 150,
  ttftMs: 60,
  ...overrides,
});

function engineAt(start = T0): { engine: HealthEngine; clock: { now: number } } {
  const clock = { now: start };
  return { engine: new HealthEngine(() => clock.now), clock };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('HealthEngine registry', () => {
  it('when models are registered, then has/modelIds/snapshots follow registration order', () => {
    const { engine } = engineAt();
    engine.register('b:model');
    engine.register('a:model');
    expect(engine.has('a:model')).toBe(true);
    expect(engine.has('c:model')).toBe(false);
    expect(engine.modelIds()).toEqual(['b:model', 'a:model']);
    expect(engine.snapshots().map((snapshot) => [snapshot.modelId, snapshot.state])).toEqual([
      ['b:model', 'unknown'],
      ['a:model', 'unknown'],
    ]);
  });

  it.each([
    ['snapshot', (engine: HealthEngine) => engine.snapshot('nope')],
    ['addSample', (engine: HealthEngine) => engine.addSample('nope', sample(T0))],
  ])('when %s is called with an unknown id, then it throws', (_name, call) => {
    const { engine } = engineAt();
    expect(() => call(engine)).toThrow("model 'nope' is not registered with the health engine");
  });

  it('when a model is registered twice, then it throws', () => {
    const { engine } = engineAt();
    engine.register(MODEL);
    expect(() => engine.register(MODEL)).toThrow(`model '${MODEL}' is already registered with the health engine`);
  });

  it('when overrides are invalid, then register throws a RangeError naming the field', () => {
    const { engine } = engineAt();
    expect(() => engine.register(MODEL, { minSamples: 0 })).toThrow(
      new RangeError('health threshold minSamples: must be an integer ≥ 1, got 0'),
    );
    expect(engine.has(MODEL)).toBe(false);
  });

  it('when two models have different overrides, then each is judged by its own thresholds', () => {
    const { engine, clock } = engineAt();
    engine.register('strict', { latencySloMs: 100 });
    engine.register('lenient');
    for (let index = 0; index < 5; index += 1) {
      clock.now += 1000;
      engine.addSample('strict', sample(clock.now, { latencyMs: 150 }));
      engine.addSample('lenient', sample(clock.now, { latencyMs: 150 }));
    }
    expect(engine.snapshot('strict').state).toBe('degraded');
    expect(engine.snapshot('lenient').state).toBe('healthy');
    expect(engine.snapshot('strict').thresholds.latencySloMs).toBe(100);
  });
});

describe('HealthEngine transitions', () => {
  it('when a record changes the state, then it returns the transition at the clock time', () => {
    const { engine, clock } = engineAt();
    engine.register(MODEL);
    clock.now += 500;
    expect(engine.addSample(MODEL, sample(clock.now))).toEqual({
      modelId: MODEL,
      at: T0 + 500,
      from: 'unknown',
      to: 'healthy',
      reason: 'p95 150 ms over 1 success (SLO check needs 5), 1 sample (rates need 5)',
    });
    expect(engine.snapshot(MODEL).since).toBe(T0 + 500);
    clock.now += 500;
    expect(engine.addSample(MODEL, sample(clock.now))).toBeNull();
    expect(engine.snapshot(MODEL).since).toBe(T0 + 500);
  });

  it('when several models go stale, then one tick returns a transition for each', () => {
    const { engine, clock } = engineAt();
    for (const id of ['m1', 'm2', 'm3']) engine.register(id);
    engine.addSample('m1', sample(clock.now));
    engine.addSample('m2', sample(clock.now));
    clock.now += 30_000;
    const transitions = engine.tick();
    expect(transitions.map((transition) => [transition.modelId, transition.from, transition.to])).toEqual([
      ['m1', 'healthy', 'unknown'],
      ['m2', 'healthy', 'unknown'],
    ]);
    expect(engine.tick()).toEqual([]);
  });

  it('when samples arrive, then last probe/success/error times and the last error are kept', () => {
    const scenario = new Scenario().run([
      probe(),
      probe('server_error', { errorMessage: 'upstream 500' }),
      probe('success', { gapMs: 1000 }),
    ]);
    scenario.engine.addSample(MODEL, sample(scenario.now + 500, { source: 'interview', outcome: 'success' }));
    expect(scenario.snapshot()).toMatchObject({
      lastSampleAt: T0 + 3500,
      lastProbeAt: T0 + 3000,
      lastSuccessAt: T0 + 3500,
      lastError: { at: T0 + 2000, outcome: 'server_error', httpStatus: 500, message: 'upstream 500' },
    });
  });
});

describe('HealthEngine input validation', () => {
  it.each([
    ['an unknown outcome', { outcome: 'teapot' }, "unknown outcome 'teapot'"],
    ['an unknown source', { source: 'cron' }, "unknown sample source 'cron'"],
    ['a NaN latency', { latencyMs: Number.NaN }, 'sample.latencyMs must be a finite number ≥ 0, got NaN'],
    ['a negative latency', { latencyMs: -1 }, 'sample.latencyMs must be a finite number ≥ 0, got -1'],
    [
      'an infinite ttft',
      { ttftMs: Number.POSITIVE_INFINITY },
      'sample.ttftMs must be null or a finite number ≥ 0, got Infinity',
    ],
    ['a NaN time', { at: Number.NaN }, 'sample.at must be a finite epoch ms, got NaN'],
  ])('when a sample has %s, then record throws a RangeError and keeps the window clean', (_name, bad, message) => {
    const { engine } = engineAt();
    engine.register(MODEL);
    expect(() => engine.addSample(MODEL, { ...sample(T0), ...bad } as Sample)).toThrow(new RangeError(message));
    expect(engine.snapshot(MODEL).samples.total).toBe(0);
  });
});

describe('HealthEngine snapshots', () => {
  it('when snapshot() is called repeatedly, then it returns the cached object without computing percentiles', () => {
    const scenario = new Scenario().run([times(20, probe())]);
    const percentile = vi.spyOn(SortedValues.prototype, 'percentile');
    const first = scenario.snapshot();
    for (let index = 0; index < 1000; index += 1) expect(scenario.snapshot()).toBe(first);
    expect(scenario.engine.snapshots()[0]).toBe(first);
    expect(percentile).not.toHaveBeenCalled();
  });

  it('when a sample is recorded, then a new snapshot replaces the old one, which is left unchanged', () => {
    const scenario = new Scenario().run([probe()]);
    const before = scenario.snapshot();
    scenario.run([probe('server_error')]);
    expect(scenario.snapshot()).not.toBe(before);
    expect(before.samples.total).toBe(1);
    expect(scenario.snapshot().samples.total).toBe(2);
  });

  it('when a caller tries to mutate a snapshot, then it throws and the engine state is untouched', () => {
    const scenario = new Scenario().run([probe(), probe('server_error')]);
    const snapshot = scenario.snapshot();
    const attempts: Array<() => void> = [
      () => Object.assign(snapshot, { state: 'unhealthy' }),
      () => Object.assign(snapshot.samples, { total: 99 }),
      () => Object.assign(snapshot.samples.byOutcome, { success: 99 }),
      () => Object.assign(snapshot.samples.bySource, { probe: 99 }),
      () => Object.assign(snapshot.latency, { p95Ms: 1 }),
      () => Object.assign(snapshot.ttft, { p95Ms: 1 }),
      () => Object.assign(snapshot.thresholds, { minSamples: 1 }),
      () => Object.assign(snapshot.lastError ?? {}, { outcome: 'success' }),
    ];
    for (const attempt of attempts) expect(attempt).toThrow(TypeError);
    expect(scenario.snapshot()).toMatchObject({ state: 'healthy', samples: { total: 2, byOutcome: { success: 1 } } });
    expect(scenario.snapshot().thresholds.minSamples).toBe(5);
  });
});

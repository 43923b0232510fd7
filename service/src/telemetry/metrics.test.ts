import { describe, expect, it } from 'vitest';
import type { RegisteredModel } from '../domain/model-registry.js';
import { createRegistry, MAX_MODELS_FOR_FULL_PRESET, ServiceMetrics } from './metrics.js';

const usage = { inputTokens: 8, outputTokens: 1 };

/** Sample lines of /metrics with `n` models, each probed once and each started once on itself. */
async function seriesWith(n: number): Promise<number> {
  const models = Array.from({ length: n }, (_, i) => ({ id: `sim:m-${i}`, provider: 'sim' }) as RegisteredModel);
  const registry = createRegistry(false);
  const metrics = new ServiceMetrics(registry, models);
  for (const m of models) {
    metrics.observeProbe(m.id, { outcome: 'success', latencyMs: 150, ttftMs: 90, usage }, 1_000, null);
    metrics.observeStart(m.id, m.id, 'started', 200, null);
  }
  const text = await registry.metrics();
  return text.split('\n').filter((line) => line !== '' && !line.startsWith('#')).length;
}

describe('the series count of /metrics', () => {
  it('when the model count doubles (past the full preset), then the series count grows linearly, not with its square', async () => {
    const n = 5 * MAX_MODELS_FOR_FULL_PRESET;
    const [one, two, four] = [await seriesWith(n), await seriesWith(2 * n), await seriesWith(4 * n)];
    const perModel = (two - one) / n;
    expect(four - two).toBe(2 * n * perModel);
    expect(one - n * perModel).toBe(two - 2 * n * perModel); // the same fixed part at every size
    expect(perModel).toBeLessThanOrEqual(80);
  });
});

const HEALTH_GAUGES = [
  'modelwatch_model_health_state',
  'modelwatch_model_latency_seconds',
  'modelwatch_model_ttft_seconds',
  'modelwatch_model_error_ratio',
];

/** A snapshot with the figures the gauges show; `other` stands for every field they do not. */
function snapshot(modelId: string, state: string, p50: number | null, errorRate: number | null, other = 0) {
  const latency = { p50Ms: p50, p95Ms: p50 === null ? null : p50 * 2, p99Ms: p50 === null ? null : p50 * 3 };
  return {
    modelId,
    state,
    latency,
    ttft: { ...latency, p99Ms: null },
    errorRate,
    consecutiveSuccesses: other,
  } as never;
}

async function healthGaugeLines(registry: ReturnType<typeof createRegistry>): Promise<string[]> {
  const text = await registry.metrics();
  return text.split('\n').filter((line) => HEALTH_GAUGES.some((name) => line.startsWith(`${name}{`)));
}

describe('the health gauges', () => {
  const models = ['sim:a', 'sim:b'].map((id) => ({ id, provider: 'sim' }) as RegisteredModel);

  it('after any sequence of snapshots, reloads included, then they show exactly what the last snapshot of each model says', async () => {
    const registry = createRegistry(false);
    const metrics = new ServiceMetrics(registry, models);
    const last = [
      snapshot('sim:a', 'healthy', 120, 0),
      snapshot('sim:a', 'healthy', 120, 0, 1), // nothing shown changes
      snapshot('sim:a', 'degraded', 900, 0.25), // everything shown changes
      snapshot('sim:a', 'degraded', null, null), // back to NaN
      snapshot('sim:b', 'healthy', 100, 0),
    ];
    for (const s of last) metrics.setHealth(s);
    metrics.syncModels(models, [], ['sim:b']); // removed: its gauges go
    metrics.syncModels(models, ['sim:b'], []); // added again: preset, then the same snapshot as before it left
    metrics.setHealth(snapshot('sim:b', 'healthy', 100, 0));

    const fresh = createRegistry(false);
    const expected = new ServiceMetrics(fresh, models);
    expected.setHealth(snapshot('sim:a', 'degraded', null, null));
    expected.setHealth(snapshot('sim:b', 'healthy', 100, 0));
    expect((await healthGaugeLines(registry)).sort()).toEqual((await healthGaugeLines(fresh)).sort());
    expect(await healthGaugeLines(registry)).toContain(
      'modelwatch_model_latency_seconds{model="sim:b",quantile="0.99"} 0.3',
    );
  });

  it('when a snapshot differs only in what the gauges do not show, then no gauge series is replaced', () => {
    const registry = createRegistry(false);
    const metrics = new ServiceMetrics(registry, models);
    metrics.setHealth(snapshot('sim:a', 'healthy', 120, 0));
    const series = () =>
      HEALTH_GAUGES.flatMap((name) =>
        Object.values((registry.getSingleMetric(name) as unknown as { hashMap: object }).hashMap),
      );
    const before = series();
    metrics.setHealth(snapshot('sim:a', 'healthy', 120, 0, 7));
    expect(series()).toEqual(before);
    expect(series().every((entry, i) => entry === before[i])).toBe(true);
  });
});

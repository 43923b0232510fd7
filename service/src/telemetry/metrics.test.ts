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

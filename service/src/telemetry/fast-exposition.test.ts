import { Gauge, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { RegisteredModel } from '../domain/model-registry.js';
import { ControlMetrics } from './control-metrics.js';
import { CHUNK_CHARS, FastExposition } from './fast-exposition.js';
import { createRegistry, ServiceMetrics } from './metrics.js';
import { ProbeScheduleMetrics } from './probe-schedule-metrics.js';

/** Every kind of series the service has: labelled and not, NaN gauges, exemplars, removed series, odd label text. */
function busyRegistry(): Registry {
  const registry = createRegistry(false);
  const models = ['openai:gpt-4o', 'x:we"ird\\name', 'anthropic:claude'].map(
    (id) =>
      ({ id, provider: id.split(':')[0], pricing: { inputPerMillion: 1, outputPerMillion: 2 } }) as RegisteredModel,
  );
  const metrics = new ServiceMetrics(registry, models);
  metrics.observeProbe(models[0]!.id, { outcome: 'success', latencyMs: 150, ttftMs: 90, usage: null }, 1e12, 'ab12');
  metrics.observeProbe(models[1]!.id, { outcome: 'timeout', latencyMs: 12_000, ttftMs: null, usage: null }, 1e12, null);
  metrics.observeStart(models[0]!.id, models[2]!.id, 'started', 300, 'cd34');
  metrics.countFallback(models[0]!.id, models[2]!.id, 'primary_failed', 'auto');
  metrics.syncModels(models, [], [models[2]!.id]);
  const schedule = new ProbeScheduleMetrics(registry);
  schedule.observeLateness(12);
  schedule.countSkipped('agent_overloaded');
  new ControlMetrics(registry).setDrained(models[0]!.id, true);
  return registry;
}

describe('the fast exposition of /metrics', () => {
  it.each([
    ['OpenMetrics', Registry.OPENMETRICS_CONTENT_TYPE],
    ['Prometheus text', Registry.PROMETHEUS_CONTENT_TYPE],
  ])('when rendered as %s, then it is byte for byte what prom-client writes', async (_name, contentType) => {
    const registry = busyRegistry();
    registry.setContentType(contentType as never);
    const openMetrics = contentType === Registry.OPENMETRICS_CONTENT_TYPE;
    const fast = new FastExposition(registry);
    const ours = await fast.render(openMetrics);
    expect(await fast.render(openMetrics)).toBe(ours); // the cached label text gives the same again
    expect(ours).toBe(await registry.metrics());
    expect(ours).toContain('model="x:we\\"ird\\\\name"');
    if (openMetrics) expect(ours).toContain('# {trace_id="ab12"} 0.15');
  });

  it('when the process metrics (rendered by prom-client) are in the registry, then their counters are named once with _total', async () => {
    const registry = createRegistry(true);
    const body = await new FastExposition(registry).render(true);
    expect(body).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(body).not.toContain('_total_total');
  });

  it.each([true, false])(
    'when the text is many times a chunk (openMetrics: %s), then it comes in bounded pieces that add up to what prom-client writes',
    async (openMetrics) => {
      const registry = createRegistry(false);
      // One family prom-client writes itself (a collect callback), between the service's own.
      new Gauge({ name: 'demo_collected', help: 'Set on collect.', registers: [registry], collect: () => undefined });
      const models = Array.from(
        { length: 300 },
        (_, i) => ({ id: `sim:scale-${i}`, provider: 'sim', pricing: null }) as unknown as RegisteredModel,
      );
      const metrics = new ServiceMetrics(registry, models);
      for (const m of models)
        metrics.observeProbe(m.id, { outcome: 'success', latencyMs: 150, ttftMs: 90, usage: null }, 1e12, 'ef56');
      registry.setContentType(
        (openMetrics ? Registry.OPENMETRICS_CONTENT_TYPE : Registry.PROMETHEUS_CONTENT_TYPE) as never,
      );
      const chunks: string[] = [];
      await new FastExposition(registry).renderTo(openMetrics, (chunk) => void chunks.push(chunk));
      const whole = chunks.join('');
      expect(whole.length).toBeGreaterThan(10 * CHUNK_CHARS);
      // No piece is the whole body or a whole family: each is about one chunk (the last piece added overshoots).
      expect(Math.max(...chunks.map((c) => c.length))).toBeLessThan(CHUNK_CHARS + 4096);
      expect(whole).toBe(await registry.metrics());
    },
  );

  it('when series are removed and others added between two scrapes, then the second scrape is what prom-client writes', async () => {
    const models = ['openai:gpt-4o', 'x:we"ird\\name', 'late:model'].map(
      (id) => ({ id, provider: id.split(':')[0], pricing: null }) as unknown as RegisteredModel,
    );
    const registry = createRegistry(false);
    const metrics = new ServiceMetrics(registry, models.slice(0, 2));
    const fast = new FastExposition(registry);
    expect(await fast.render(true)).toContain('modelwatch_model_error_ratio{model="openai:gpt-4o"} Nan');
    metrics.syncModels(models, ['late:model'], ['openai:gpt-4o']);
    const second = await fast.render(true);
    expect(second).toBe(await registry.metrics());
    expect(second).toContain('modelwatch_model_error_ratio{model="late:model"} Nan');
    expect(second).not.toContain('modelwatch_model_error_ratio{model="openai:gpt-4o"}');
  });
});

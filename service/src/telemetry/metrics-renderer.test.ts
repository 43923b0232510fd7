import { Counter, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { RegisteredModel } from '../domain/model-registry.js';
import { CHUNK_CHARS } from './fast-exposition.js';
import { metricsRenderer } from './metrics-renderer.js';
import { createRegistry, ServiceMetrics } from './metrics.js';

/** One scrape gathered as the route sends it: the content type, then the text in order. */
async function scrape(render: ReturnType<typeof metricsRenderer>, openMetrics: boolean) {
  let contentType = '';
  const chunks: string[] = [];
  await render(openMetrics, { start: (type) => (contentType = type), write: (chunk) => void chunks.push(chunk) });
  return { body: chunks.join(''), contentType };
}

function registryWithCounter(): Registry {
  const registry = new Registry();
  new Counter({ name: 'demo_probes_total', help: 'Probes.', registers: [registry] }).inc();
  return registry;
}

describe('prom-client renaming counters in place when it renders OpenMetrics', () => {
  it('when prom-client renders OpenMetrics and then plain text itself, then the plain text loses `_total` (the defect worked around)', async () => {
    const registry = registryWithCounter();
    registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE as never);
    await registry.metrics();
    registry.setContentType(Registry.PROMETHEUS_CONTENT_TYPE);
    expect(await registry.metrics()).not.toContain('demo_probes_total 1');
  });

  it('when an OpenMetrics scrape is followed by a plain-text scrape, then the counter keeps its `_total` name in both', async () => {
    const render = metricsRenderer(registryWithCounter());
    const openMetrics = await scrape(render, true);
    const plain = await scrape(render, false);
    expect(openMetrics.contentType).toContain('application/openmetrics-text');
    expect(openMetrics.body).toContain('demo_probes_total 1');
    expect(plain.contentType).toContain('text/plain');
    expect(plain.body).toContain('demo_probes_total 1');
  });

  it('when scrapes of both formats overlap, then each gets its own content type', async () => {
    const render = metricsRenderer(registryWithCounter());
    const [a, b, c] = await Promise.all([scrape(render, true), scrape(render, false), scrape(render, true)]);
    expect([a.contentType, b.contentType, c.contentType].map((t) => t.split(';')[0])).toEqual([
      'application/openmetrics-text',
      'text/plain',
      'application/openmetrics-text',
    ]);
    expect(b.body).toContain('demo_probes_total 1');
  });
});

/** A registry whose text is many chunks long: 300 models, each probed once. */
function bigRegistry(): Registry {
  const registry = createRegistry(false);
  const models = Array.from({ length: 300 }, (_, i) => ({ id: `sim:m-${i}`, provider: 'sim' }) as RegisteredModel);
  const metrics = new ServiceMetrics(registry, models);
  for (const m of models)
    metrics.observeProbe(m.id, { outcome: 'success', latencyMs: 150, ttftMs: 90, usage: null }, 1e12, 'ab12');
  return registry;
}

const turns = async (n: number): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
};

describe('a scrape read slowly', () => {
  it('when the reader is behind, then the scrape waits for it before rendering more, and then completes in full', async () => {
    const registry = bigRegistry();
    const render = metricsRenderer(registry);
    const chunks: string[] = [];
    let catchUp = (): void => undefined;
    const scrape = render(true, {
      start: () => undefined,
      write: (chunk) => {
        chunks.push(chunk);
        return chunks.length === 1 ? new Promise<void>((resolve) => (catchUp = resolve)) : undefined;
      },
    });
    await turns(20);
    expect(chunks).toHaveLength(1);
    expect(chunks[0]!.length).toBeLessThan(CHUNK_CHARS + 4096);
    catchUp();
    await scrape;
    expect(chunks.length).toBeGreaterThan(10);
    registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE as never);
    expect(chunks.join('')).toBe(await registry.metrics());
  });

  it('when the reader goes away mid-scrape, then the scrape stops and the next scrape (plain text) is whole', async () => {
    const registry = bigRegistry();
    const render = metricsRenderer(registry);
    let written = 0;
    const gone = render(true, {
      start: () => undefined,
      write: () => (++written === 2 ? Promise.reject(new Error('the scraper went away')) : undefined),
    });
    await expect(gone).rejects.toThrow('went away');
    expect(written).toBe(2);
    const next = await scrape(render, false);
    registry.setContentType(Registry.PROMETHEUS_CONTENT_TYPE);
    expect(next.body).toBe(await registry.metrics());
    expect(next.body).toContain('modelwatch_probes_total{model="sim:m-0",provider="sim",outcome="success"} 1');
  });
});

import { Counter, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { metricsRenderer } from './metrics-renderer.js';

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
    const openMetrics = await render(true);
    const plain = await render(false);
    expect(openMetrics.contentType).toContain('application/openmetrics-text');
    expect(openMetrics.body).toContain('demo_probes_total 1');
    expect(plain.contentType).toContain('text/plain');
    expect(plain.body).toContain('demo_probes_total 1');
  });

  it('when scrapes of both formats overlap, then each gets its own content type', async () => {
    const render = metricsRenderer(registryWithCounter());
    const [a, b, c] = await Promise.all([render(true), render(false), render(true)]);
    expect([a.contentType, b.contentType, c.contentType].map((t) => t.split(';')[0])).toEqual([
      'application/openmetrics-text',
      'text/plain',
      'application/openmetrics-text',
    ]);
    expect(b.body).toContain('demo_probes_total 1');
  });
});

import { Registry } from 'prom-client';
import { type ChunkSink, FastExposition } from './fast-exposition.js';

/**
 * Where a scrape goes: its content type, then its text in order (an HTTP response, or a string in tests).
 * `write` hands back a promise when the reader is behind: the scrape waits for it (and stops if it rejects).
 */
export interface MetricsSink {
  start(contentType: string): void;
  write: ChunkSink;
}

/**
 * Renders one scrape at a time: the registry's content type is switched per request. prom-client
 * 15 strips `_total` from counter names in place when it renders OpenMetrics, which would leave
 * later plain-text scrapes without it; the names are put back after every render
 * (metrics-renderer.test.ts shows the behaviour this works around, so it can go when prom-client fixes it).
 * The text goes to `sink` in pieces as it is made (FastExposition.renderTo): the content type first, then
 * the chunks in order; no whole body is held.
 */
export function metricsRenderer(registry: Registry) {
  let queue: Promise<unknown> = Promise.resolve();
  const originalNames = new WeakMap<object, string>();
  const exposition = new FastExposition(registry);
  const restoreNames = (): void => {
    for (const metric of registry.getMetricsAsArray() as unknown as Array<{ name: string }>) {
      const original = originalNames.get(metric);
      if (original) metric.name = original;
      else originalNames.set(metric, metric.name);
    }
  };
  return (openMetrics: boolean, sink: MetricsSink): Promise<void> => {
    const run = queue.then(async () => {
      restoreNames();
      registry.setContentType(
        (openMetrics ? Registry.OPENMETRICS_CONTENT_TYPE : Registry.PROMETHEUS_CONTENT_TYPE) as never,
      );
      try {
        sink.start(registry.contentType);
        await exposition.renderTo(openMetrics, sink.write);
      } finally {
        restoreNames();
      }
    });
    queue = run.catch(() => undefined);
    return run;
  };
}

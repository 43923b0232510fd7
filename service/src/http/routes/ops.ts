import { Router } from 'express';
import { Registry } from 'prom-client';
import type { ApiContext } from '../context.js';

/**
 * Renders one scrape at a time: the registry's content type is switched per request. prom-client
 * 15 strips `_total` from counter names in place when it renders OpenMetrics, which would leave
 * later plain-text scrapes without it; the names are put back after every render.
 */
function metricsRenderer(registry: Registry) {
  let queue: Promise<unknown> = Promise.resolve();
  const originalNames = new WeakMap<object, string>();
  const restoreNames = (): void => {
    for (const metric of registry.getMetricsAsArray() as unknown as Array<{ name: string }>) {
      const original = originalNames.get(metric);
      if (original) metric.name = original;
      else originalNames.set(metric, metric.name);
    }
  };
  return (openMetrics: boolean): Promise<{ body: string; contentType: string }> => {
    const run = queue.then(async () => {
      restoreNames();
      registry.setContentType(
        (openMetrics ? Registry.OPENMETRICS_CONTENT_TYPE : Registry.PROMETHEUS_CONTENT_TYPE) as never,
      );
      try {
        return { body: await registry.metrics(), contentType: registry.contentType };
      } finally {
        restoreNames();
      }
    });
    queue = run.catch(() => undefined);
    return run;
  };
}

export function opsRoutes(ctx: ApiContext, openapi: () => unknown): Router {
  const router = Router();
  const render = metricsRenderer(ctx.metricsRegistry);
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    if (ctx.isDraining()) return void res.status(503).json({ ready: false, reason: 'shutting down' });
    const agent = await ctx.agent.checkReady();
    // Storage is asked after the agent's answer, so it describes the moment the response is sent.
    const storage = ctx.store.status();
    const ready = agent.ready && storage.ok;
    const problems = [!storage.ok && `storage: ${storage.reason}`, !agent.ready && agent.reason].filter(Boolean);
    res
      .status(ready ? 200 : 503)
      .json({ ready, reason: problems.length ? problems.join('; ') : agent.reason, checks: { agent, storage } });
  });
  router.get('/metrics', async (req, res) => {
    const { body, contentType } = await render((req.get('accept') ?? '').includes('application/openmetrics-text'));
    res.type(contentType).send(body);
  });
  router.get('/openapi.json', (_req, res) => {
    res.json(openapi());
  });
  return router;
}

import { Router } from 'express';
import { metricsRenderer } from '../../telemetry/metrics-renderer.js';
import type { ApiContext } from '../context.js';
import { writePaced } from '../paced-write.js';

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
  // Streamed as it is rendered (chunked, so without Content-Length or ETag), waiting for the scraper when its
  // socket is full, and cutting one that takes nothing for STALLED_READER_MS so later scrapes are not held behind
  // it: at 1,000 models the body is 5 MB, and holding it whole (string, Buffer, ETag hash) or queued in the socket
  // was most of a scrape's garbage (bench/README.md section 9).
  router.get('/metrics', async (req, res) => {
    const openMetrics = (req.get('accept') ?? '').includes('application/openmetrics-text');
    try {
      await render(openMetrics, {
        start: (contentType) => res.type(contentType),
        write: (chunk) => writePaced(res, chunk),
      });
    } catch (err) {
      // Before the first chunk the error handler can still answer 500; after it, only cutting the reply is honest.
      if (!res.headersSent) throw err;
      return void res.destroy();
    }
    res.end();
  });
  router.get('/openapi.json', (_req, res) => {
    res.json(openapi());
  });
  return router;
}

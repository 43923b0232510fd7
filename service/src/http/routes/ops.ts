import { Router, type Response } from 'express';
import { metricsRenderer } from '../../telemetry/metrics-renderer.js';
import type { ApiContext } from '../context.js';

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
  // Streamed as it is rendered (chunked, so without Content-Length or ETag), waiting for the scraper when its socket
  // is full: at 1,000 models the body is 5 MB, and holding it whole (string, Buffer, ETag hash) or queued in the
  // socket was most of a scrape's garbage (bench/README.md section 9).
  router.get('/metrics', async (req, res) => {
    const openMetrics = (req.get('accept') ?? '').includes('application/openmetrics-text');
    try {
      await render(openMetrics, { start: (contentType) => res.type(contentType), write: (chunk) => sent(res, chunk) });
    } catch (err) {
      // Before the first chunk the error handler can still answer 500; after it, only cutting the reply is honest.
      if (!res.headersSent) throw err;
      return void res.destroy(err as Error);
    }
    res.end();
  });
  router.get('/openapi.json', (_req, res) => {
    res.json(openapi());
  });
  return router;
}

/** Writes a chunk; when the socket is full, a promise of its drain (rejected if the scraper goes away first). */
function sent(res: Response, chunk: string): Promise<void> | undefined {
  if (res.destroyed) return Promise.reject(new Error('the scraper went away'));
  if (res.write(chunk)) return undefined;
  return new Promise((resolve, reject) => {
    const settle = (gone: boolean): void => {
      res.off('drain', drained).off('close', closed);
      if (gone) reject(new Error('the scraper went away'));
      else resolve();
    };
    const drained = (): void => settle(false);
    const closed = (): void => settle(true);
    res.on('drain', drained).on('close', closed);
  });
}

import { Router } from 'express';
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
  router.get('/metrics', async (req, res) => {
    const { body, contentType } = await render((req.get('accept') ?? '').includes('application/openmetrics-text'));
    res.type(contentType).send(body);
  });
  router.get('/openapi.json', (_req, res) => {
    res.json(openapi());
  });
  return router;
}

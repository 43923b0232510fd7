import { Router, type Response } from 'express';
import { notFound } from '../../app/app-error.js';
import type { ApiContext } from '../context.js';
import { HealthBodies, keepWarmWhileRead, type HealthViewInputs } from '../health-body.js';
import { historyQuery } from '../schemas.js';
import { parseInput } from '../validate.js';

// The header res.json sets; the bodies are sent as ready bytes (health-body.ts).
const JSON_TYPE = 'application/json; charset=utf-8';
const sendJson = (res: Response, bytes: Buffer): void => {
  res.set('Content-Type', JSON_TYPE).send(bytes);
};

export function healthRoutes(ctx: ApiContext): Router {
  const router = Router();
  const inputsOf = (id: string): HealthViewInputs => ({
    snapshot: ctx.healthReader.snapshot(id),
    model: ctx.registry.get(id)!,
    nextProbeAt: ctx.nextProbeAt(id),
    probing: ctx.probes.isProbing(id),
    usage: ctx.probes.usageOf(id),
    drain: ctx.drains.get(id),
  });
  const bodies = new HealthBodies(inputsOf);
  const read = keepWarmWhileRead(bodies, () => ctx.registry.ids(), ctx.clock);
  const known = (id: string): string => {
    if (!ctx.registry.has(id)) throw notFound('model', id, 'modelId');
    return id;
  };

  router.get('/v1/health', (_req, res) => {
    read();
    sendJson(res, bodies.all(ctx.registry.ids()));
  });
  router.get('/v1/health/:modelId', (req, res) => {
    sendJson(res, bodies.one(known(req.params.modelId)));
  });
  router.get('/v1/health/:modelId/history', async (req, res) => {
    const id = known(req.params.modelId);
    const q = parseInput(historyQuery, req.query, 'query');
    const page = await ctx.store.listTransitions(id, q.limit, q.cursor);
    res.json({ transitions: page.items, nextCursor: page.nextCursor });
  });
  return router;
}

import { Router } from 'express';
import { notFound } from '../../app/app-error.js';
import type { ApiContext } from '../context.js';
import { healthView } from '../presenters.js';
import { historyQuery } from '../schemas.js';
import { parseInput } from '../validate.js';

export function healthRoutes(ctx: ApiContext): Router {
  const router = Router();
  const view = (id: string) => {
    const drain = ctx.drains.get(id);
    return {
      ...healthView(ctx.healthReader.snapshot(id), ctx.registry.get(id)!, {
        nextProbeAt: ctx.nextProbeAt(id),
        probing: ctx.probes.isProbing(id),
        usage: ctx.probes.usageOf(id),
      }),
      drain: { drained: drain !== null, reason: drain?.reason ?? null, since: drain?.at ?? null },
    };
  };
  const known = (id: string): string => {
    if (!ctx.registry.has(id)) throw notFound('model', id, 'modelId');
    return id;
  };

  router.get('/v1/health', (_req, res) => {
    res.json({ models: ctx.registry.ids().map(view) });
  });
  router.get('/v1/health/:modelId', (req, res) => {
    res.json(view(known(req.params.modelId)));
  });
  router.get('/v1/health/:modelId/history', async (req, res) => {
    const id = known(req.params.modelId);
    const q = parseInput(historyQuery, req.query, 'query');
    const page = await ctx.store.listTransitions(id, q.limit, q.cursor);
    res.json({ transitions: page.items, nextCursor: page.nextCursor });
  });
  return router;
}

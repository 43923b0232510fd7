import { Router, type RequestHandler } from 'express';
import type { ApiContext } from '../context.js';
import { resourceId, simulationBody, simulationQuery } from '../schemas.js';
import { parseInput } from '../validate.js';

export function simulationRoutes(ctx: ApiContext, guard: RequestHandler): Router {
  const router = Router();
  const pathId = (raw: string): string => parseInput(resourceId, raw, 'path');

  router.put('/v1/simulations/:id', guard, async (req, res) => {
    const id = pathId(String(req.params.id));
    const body = parseInput(simulationBody, req.body, 'body');
    const { record, created } = await ctx.simulations.put(id, {
      primary: body.primary,
      fallbacks: body.fallbacks,
      interview: body.interview,
    });
    res.status(created ? 201 : 200).json(record);
  });
  router.get('/v1/simulations', async (req, res) => {
    const q = parseInput(simulationQuery, req.query, 'query');
    const page = await ctx.simulations.list(q.limit, q.cursor);
    res.json({ simulations: page.items, nextCursor: page.nextCursor });
  });
  router.get('/v1/simulations/:id', async (req, res) => {
    res.json(await ctx.simulations.get(pathId(String(req.params.id))));
  });
  router.delete('/v1/simulations/:id', guard, async (req, res) => {
    await ctx.simulations.remove(pathId(String(req.params.id)));
    res.status(204).end();
  });
  return router;
}

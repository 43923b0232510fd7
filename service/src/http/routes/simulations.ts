import { Router } from 'express';
import { notFound, unregisteredModel } from '../../app/app-error.js';
import type { ApiContext } from '../context.js';
import { resourceId, simulationBody, simulationQuery } from '../schemas.js';
import { parseInput } from '../validate.js';

export function simulationRoutes(ctx: ApiContext, guard: import('express').RequestHandler): Router {
  const router = Router();
  const pathId = (raw: string): string => parseInput(resourceId, raw, 'path');

  router.put('/v1/simulations/:id', guard, async (req, res) => {
    const id = pathId(String(req.params.id));
    const body = parseInput(simulationBody, req.body, 'body');
    const models: Array<[string, string]> = [
      ['primary', body.primary],
      ...body.fallbacks.map((m, i): [string, string] => [`fallbacks[${i}]`, m]),
    ];
    for (const [field, model] of models) {
      if (!ctx.registry.has(model)) throw unregisteredModel(field, model, ctx.registry.ids());
    }
    const { record, created } = await ctx.store.putSimulation(
      { id, primary: body.primary, fallbacks: body.fallbacks, interview: body.interview },
      new Date(ctx.clock()).toISOString(),
    );
    res.status(created ? 201 : 200).json(record);
  });
  router.get('/v1/simulations', (req, res) => {
    const q = parseInput(simulationQuery, req.query, 'query');
    const page = ctx.store.listSimulations(q.limit, q.cursor);
    res.json({ simulations: page.items, nextCursor: page.nextCursor });
  });
  router.get('/v1/simulations/:id', (req, res) => {
    const sim = ctx.store.getSimulation(pathId(String(req.params.id)));
    if (!sim) throw notFound('simulation', String(req.params.id), 'id');
    res.json(sim);
  });
  router.delete('/v1/simulations/:id', guard, async (req, res) => {
    if (!(await ctx.store.deleteSimulation(pathId(String(req.params.id)))))
      throw notFound('simulation', String(req.params.id), 'id');
    res.status(204).end();
  });
  return router;
}

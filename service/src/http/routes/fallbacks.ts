import { Router } from 'express';
import { notFound } from '../../app/app-error.js';
import type { ApiContext } from '../context.js';
import { fallbackQuery } from '../schemas.js';
import { parseInput } from '../validate.js';

export function fallbackRoutes(ctx: ApiContext): Router {
  const router = Router();
  router.get('/v1/fallbacks', async (req, res) => {
    const q = parseInput(fallbackQuery, req.query, 'query');
    const { since, until, ...rest } = q;
    // Compared as instants: an offset may carry one past year 9999, where ISO text no longer sorts as time.
    const page = await ctx.store.listFallbackEvents({
      ...rest,
      sinceMs: since === undefined ? undefined : Date.parse(since),
      untilMs: until === undefined ? undefined : Date.parse(until),
    });
    res.json({ events: page.items, nextCursor: page.nextCursor });
  });
  router.get('/v1/fallbacks/:id', async (req, res) => {
    const event = await ctx.store.getFallbackEvent(req.params.id);
    if (!event) throw notFound('fallback event', req.params.id, 'id');
    res.json(event);
  });
  return router;
}

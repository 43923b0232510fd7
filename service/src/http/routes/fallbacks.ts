import { Router } from 'express';
import { notFound } from '../../app/app-error.js';
import type { ApiContext } from '../context.js';
import { fallbackQuery } from '../schemas.js';
import { parseInput } from '../validate.js';

export function fallbackRoutes(ctx: ApiContext): Router {
  const router = Router();
  router.get('/v1/fallbacks', (req, res) => {
    const q = parseInput(fallbackQuery, req.query, 'query');
    const since = q.since ? new Date(q.since).toISOString() : undefined;
    const until = q.until ? new Date(q.until).toISOString() : undefined;
    const page = ctx.store.listFallbackEvents({ ...q, since, until });
    res.json({ events: page.items, nextCursor: page.nextCursor });
  });
  router.get('/v1/fallbacks/:id', (req, res) => {
    const event = ctx.store.getFallbackEvent(req.params.id);
    if (!event) throw notFound('fallback event', req.params.id, 'id');
    res.json(event);
  });
  return router;
}

import { readFileSync } from 'node:fs';
import { Router, type RequestHandler } from 'express';
import { notFound } from '../../app/app-error.js';
import type { ApiContext } from '../context.js';
import { renderPage, renderPanel } from './render.js';
import { gatherStatus, UptimeCache } from './status-data.js';

// service/static, from src/http/status-page and from dist/http/status-page alike. Read once: the
// assets are part of the build, not something that changes while the service runs.
const STATIC_DIR = new URL('../../../static/', import.meta.url);
const ASSETS: Record<string, string> = {
  'status.js': 'text/javascript; charset=utf-8',
  'status.css': 'text/css; charset=utf-8',
};

/**
 * The status page: `/` is the page (with the panel rendered in when reads are open), `/status/panel`
 * the live part the page's script fetches again on every event of GET /v1/events.
 */
export function statusPageRoutes(ctx: ApiContext, readGuard: RequestHandler): Router {
  const router = Router();
  const uptimes = new UptimeCache();
  const assets = new Map(
    Object.entries(ASSETS).map(([name, type]) => [name, { type, body: readFileSync(new URL(name, STATIC_DIR)) }]),
  );
  const panel = async (): Promise<string> => renderPanel(await gatherStatus(ctx, uptimes));

  router.get('/', async (_req, res) => {
    res
      .set('cache-control', 'no-store')
      .type('html')
      .send(renderPage(ctx.api.protectReads ? null : await panel()));
  });
  router.get('/status/panel', readGuard, async (_req, res) => {
    res
      .set('cache-control', 'no-store')
      .type('html')
      .send(await panel());
  });
  router.get('/static/:name', (req, res) => {
    const asset = assets.get(req.params.name);
    // Answered here: falling through would reach the 405 for a known path pattern.
    if (!asset) throw notFound('static file', req.params.name, 'name');
    res.set('cache-control', 'no-cache').type(asset.type).send(asset.body);
  });
  return router;
}

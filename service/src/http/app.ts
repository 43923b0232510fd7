import type { RequestListener } from 'node:http';
import express, { type Express } from 'express';
import { AppError } from '../app/app-error.js';
import type { ApiContext } from './context.js';
import {
  errorHandler,
  methodNotAllowed,
  rejectInvalidUtf8,
  requestSpan,
  requireJson,
  requireToken,
} from './middleware.js';
import { withFastStart } from './fast-start.js';
import { buildOpenApi } from './openapi.js';
import { eventRoutes } from './routes/events.js';
import { fallbackRoutes } from './routes/fallbacks.js';
import { healthRoutes } from './routes/health.js';
import { interviewRoutes, startInterviewHandler } from './routes/interviews.js';
import { modelRoutes } from './routes/models.js';
import { opsRoutes } from './routes/ops.js';
import { probeRoutes } from './routes/probes.js';
import { simulationRoutes } from './routes/simulations.js';
import { statusPageRoutes } from './status-page/routes.js';

/** What the server runs: the common interview start without Express (fast-start.ts), the rest through it. */
export function createRequestListener(ctx: ApiContext): RequestListener {
  return withFastStart(createApp(ctx), ctx);
}

/**
 * The Express app. State-changing and money-spending routes need the bearer token when one is
 * configured; reads of health and fallbacks need it only with api.protectReads; /metrics,
 * /healthz and /readyz never do.
 */
export function createApp(ctx: ApiContext): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  // The document lists the registered ids: rebuilt when a reload changes them.
  let openapi = { ids: ctx.registry.ids().join('\n'), doc: buildOpenApi(ctx.registry.ids()) };
  const currentOpenApi = (): Record<string, unknown> => {
    const ids = ctx.registry.ids();
    if (ids.join('\n') !== openapi.ids) openapi = { ids: ids.join('\n'), doc: buildOpenApi(ids) };
    return openapi.doc;
  };
  const writeGuard = requireToken(ctx.api.token);
  const readGuard = ctx.api.protectReads ? writeGuard : requireToken(undefined);

  app.use(requestSpan(ctx.tracer));
  app.use(requireJson);
  app.use(express.json({ limit: ctx.api.bodyLimitBytes, strict: true, verify: rejectInvalidUtf8 }));
  // The start first (the hot path, bench/README.md "Profiles"), behind the same guards as before.
  app.post('/v1/interviews', writeGuard, readGuard, startInterviewHandler(ctx));
  app.use(opsRoutes(ctx, currentOpenApi));
  app.use('/v1/probes', writeGuard);
  app.use(['/v1/health', '/v1/fallbacks', '/v1/interviews', '/v1/simulations', '/v1/models', '/v1/events'], readGuard);
  app.use(healthRoutes(ctx));
  app.use(probeRoutes(ctx));
  app.use(interviewRoutes(ctx));
  app.use(fallbackRoutes(ctx));
  app.use(simulationRoutes(ctx, writeGuard));
  app.use(modelRoutes(ctx, writeGuard));
  app.use(eventRoutes(ctx));
  app.use(statusPageRoutes(ctx, readGuard));
  app.use(methodNotAllowed(openapi.doc.paths as Record<string, Record<string, unknown>>));
  app.use((req, _res, next) =>
    next(new AppError(404, 'not_found', `no route for ${req.method} ${req.path}`, { path: req.path })),
  );
  app.use(errorHandler(ctx.logger));
  return app;
}

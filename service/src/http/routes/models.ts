import { Router } from 'express';
import { AppError, notFound } from '../../app/app-error.js';
import { ConfigError } from '../../config/load.js';
import type { RegisteredModel } from '../../domain/model-registry.js';
import type { ApiContext } from '../context.js';
import { drainBody, undrainBody } from '../control-schemas.js';
import { parseInput } from '../validate.js';

const seconds = (ms: number): number => ms / 1000;

/** A registered model as GET /v1/models shows it: everything but secrets (header values may hold one). */
export function modelView(ctx: ApiContext, m: RegisteredModel) {
  const health = ctx.healthReader.snapshot(m.id);
  const drain = ctx.drains.get(m.id);
  const next = ctx.nextProbeAt(m.id);
  return {
    id: m.id,
    provider: m.provider,
    model: m.model,
    endpoint: { name: m.provider, ...m.endpoint },
    tier: m.tier,
    capabilities: m.capabilities,
    pricing: m.pricing,
    probe: {
      intervalSeconds: seconds(m.probe.intervalMs),
      unhealthyIntervalSeconds: seconds(m.probe.unhealthyIntervalMs),
      timeoutSeconds: seconds(m.probe.timeoutMs),
      jitterSeconds: seconds(m.probe.jitterMs),
      maxTokens: m.probe.maxTokens,
    },
    thresholds: Object.fromEntries(
      Object.entries(health.thresholds).filter(([, v]) => typeof v === 'number'),
    ) as Record<string, number>,
    state: health.state,
    reason: health.reason,
    nextProbeAt: next === null || !Number.isFinite(next) ? null : new Date(next).toISOString(),
    drain: { drained: drain !== null, reason: drain?.reason ?? null, since: drain?.at ?? null },
  };
}

/** The registry at run time: list, drain and undrain, and reload of the config file. */
export function modelRoutes(ctx: ApiContext, writeGuard: import('express').RequestHandler): Router {
  const router = Router();
  const known = (id: string): RegisteredModel => {
    const model = ctx.registry.get(id);
    if (!model) throw notFound('model', id, 'modelId');
    return model;
  };

  router.get('/v1/models', (_req, res) => {
    res.json({ models: ctx.registry.all().map((m) => modelView(ctx, m)) });
  });
  router.get('/v1/models/:modelId', (req, res) => {
    res.json(modelView(ctx, known(req.params.modelId)));
  });
  router.post('/v1/models/:modelId/drain', writeGuard, (req, res) => {
    const model = known(String(req.params.modelId));
    const body = parseInput(drainBody, req.body, 'body');
    ctx.drains.drain(model.id, body.reason);
    res.json(modelView(ctx, model));
  });
  router.post('/v1/models/:modelId/undrain', writeGuard, (req, res) => {
    const model = known(String(req.params.modelId));
    const body = parseInput(undrainBody, req.body ?? {}, 'body');
    ctx.drains.undrain(model.id, body.reason ?? 'undrained');
    res.json(modelView(ctx, model));
  });
  router.post('/v1/admin/reload', writeGuard, (_req, res) => {
    if (!ctx.reload)
      throw new AppError(409, 'reload_unavailable', 'this service was not started from a config file', {});
    try {
      res.json(ctx.reload());
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      throw new AppError(422, 'invalid_config', `${err.message}\nthe running configuration stays in force`, {
        file: err.file,
        problems: err.problems,
      });
    }
  });
  return router;
}

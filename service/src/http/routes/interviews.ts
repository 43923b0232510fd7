import { Router } from 'express';
import { AppError, notFound } from '../../app/app-error.js';
import type { ApiContext } from '../context.js';
import { startInterviewBody } from '../schemas.js';
import { parseInput } from '../validate.js';

const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{1,128}$/;

export function interviewRoutes(ctx: ApiContext): Router {
  const router = Router();
  router.post('/v1/interviews', async (req, res) => {
    if (ctx.isDraining())
      throw new AppError(503, 'shutting_down', 'the service is shutting down; retry on another instance', {
        retryable: true,
      });
    const key = req.get('idempotency-key') ?? null;
    if (key !== null && !IDEMPOTENCY_KEY.test(key)) {
      throw new AppError(400, 'invalid_request', 'Idempotency-Key: 1 to 128 letters, digits, ".", "_", ":" or "-"', {
        field: 'Idempotency-Key',
      });
    }
    const body = parseInput(startInterviewBody, req.body, 'body');
    const { record, event, replayed } = await ctx.starter.start(body, key);
    if (replayed) res.setHeader('Idempotent-Replayed', 'true');
    // Written directly rather than with res.json: Express would hash the body for an ETag that no
    // client of a POST uses. Node sets Content-Length from the one chunk.
    res.statusCode = 201;
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.end(JSON.stringify({ ...record, fallbackEvent: event }));
  });
  router.get('/v1/interviews/:id', async (req, res) => {
    const record = await ctx.store.getInterview(req.params.id);
    if (!record) throw notFound('interview', req.params.id, 'id');
    res.json(record);
  });
  return router;
}

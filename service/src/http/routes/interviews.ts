import type { ServerResponse } from 'node:http';
import { Router, type Request, type Response } from 'express';
import { AppError, notFound } from '../../app/app-error.js';
import type { ApiContext } from '../context.js';
import { parseStartBody } from '../start-body.js';

const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{1,128}$/;

/** What refuses a start before its body is read (shutting down, a malformed Idempotency-Key); null when none does. */
export function startRefusal(ctx: ApiContext, key: string | null): AppError | null {
  if (ctx.isDraining())
    return new AppError(503, 'shutting_down', 'the service is shutting down; retry on another instance', {
      retryable: true,
    });
  if (key !== null && !IDEMPOTENCY_KEY.test(key)) {
    return new AppError(400, 'invalid_request', 'Idempotency-Key: 1 to 128 letters, digits, ".", "_", ":" or "-"', {
      field: 'Idempotency-Key',
    });
  }
  return null;
}

/** The start once its body is parsed: validated, run, and answered 201 (the route below and fast-start.ts). */
export async function answerStart(
  ctx: ApiContext,
  input: unknown,
  key: string | null,
  res: ServerResponse,
): Promise<void> {
  const body = parseStartBody(input);
  const { record, event, replayed } = await ctx.starter.start(body, key);
  if (replayed) res.setHeader('Idempotent-Replayed', 'true');
  // Written directly rather than with res.json: Express would hash the body for an ETag that no
  // client of a POST uses. Node sets Content-Length from the one chunk.
  res.statusCode = 201;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.end(JSON.stringify({ ...record, fallbackEvent: event }));
}

/**
 * POST /v1/interviews through Express: for the starts fast-start.ts leaves to it (and the same answers).
 * Mounted ahead of the other routers (app.ts), so it does not walk through their layers first.
 */
export function startInterviewHandler(ctx: ApiContext): (req: Request, res: Response) => Promise<void> {
  return async (req, res) => {
    const key = req.get('idempotency-key') ?? null;
    const refusal = startRefusal(ctx, key);
    if (refusal) throw refusal;
    await answerStart(ctx, req.body, key, res);
  };
}

export function interviewRoutes(ctx: ApiContext): Router {
  const router = Router();
  router.get('/v1/interviews/:id', async (req, res) => {
    const record = await ctx.store.getInterview(req.params.id);
    if (!record) throw notFound('interview', req.params.id, 'id');
    res.json(record);
  });
  return router;
}

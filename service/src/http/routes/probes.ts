import { Router } from 'express';
import type { ApiContext } from '../context.js';
import { probeBody } from '../schemas.js';
import { parseInput } from '../validate.js';

export function probeRoutes(ctx: ApiContext): Router {
  const router = Router();
  // Probe now: answers when every probe is done, with each result and the verdict it left.
  router.post('/v1/probes', async (req, res) => {
    const body = parseInput(probeBody, req.body ?? {}, 'body');
    const reports = await ctx.probes.probeRequested(body.models);
    res.json({
      results: reports.map((r) =>
        r.probed
          ? {
              modelId: r.modelId,
              probed: true,
              outcome: r.result.outcome,
              latencyMs: r.result.latencyMs,
              ttftMs: r.result.ttftMs,
              httpStatus: r.result.httpStatus,
              errorMessage: r.result.errorMessage,
              state: ctx.healthReader.snapshot(r.modelId).state,
            }
          : { modelId: r.modelId, probed: false, skipped: r.skipped },
      ),
    });
  });
  return router;
}

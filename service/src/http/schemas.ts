import { z } from 'zod';
import { HEALTH_STATES, OUTCOMES } from '../domain/health/index.js';
import { FALLBACK_REASONS } from '../domain/selection.js';
import { CURSOR_PATTERN, KEY_CURSOR_PATTERN } from '../store/cursor.js';
import { ATTEMPT_OUTCOMES } from '../store/records.js';

/** Request and response schemas: they validate at the route and generate /openapi.json. */

export const MAX_JSON_DEPTH = 16;
export function depth(value: unknown, level = 0): number {
  if (level > MAX_JSON_DEPTH || value === null || typeof value !== 'object') return level;
  let max = level;
  for (const v of Object.values(value)) max = Math.max(max, depth(v, level + 1));
  return max;
}

export const MODEL_ID_MAX_LENGTH = 200;
export const MAX_FALLBACKS = 20;
export const RESOURCE_ID = /^[A-Za-z0-9._-]{1,128}$/;
export const modelId = z.string().min(1).max(MODEL_ID_MAX_LENGTH).describe('A registered model id, "provider:model"');
export const resourceId = z.string().regex(RESOURCE_ID, 'letters, digits, ".", "_" and "-", at most 128 characters');
// Text no provider can take (issue 11): a lone UTF-16 surrogate cannot be encoded as UTF-8, so the SDKs
// fail before sending it. Refused here, naming the field, so such a start never reaches a model and is
// never charged to one. Control characters (NUL included) are valid JSON text and pass; a provider that
// refuses them answers a 400 the agent classes as the request's fault, never the model's.
const UNSENDABLE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** The path of the first string or key a provider cannot take, or null. Stops below MAX_JSON_DEPTH (refused anyway). */
export function unsendableTextPath(value: unknown, path: Array<string | number> = []): Array<string | number> | null {
  if (typeof value === 'string') return UNSENDABLE.test(value) ? path : null;
  if (value === null || typeof value !== 'object' || path.length > MAX_JSON_DEPTH) return null;
  for (const [key, item] of Object.entries(value)) {
    const at = [...path, Array.isArray(value) ? Number(key) : key];
    if (UNSENDABLE.test(key)) return at;
    const found = unsendableTextPath(item, at);
    if (found) return found;
  }
  return null;
}

const freeForm = z
  .record(z.string(), z.unknown())
  .refine((v) => depth(v) <= MAX_JSON_DEPTH, `nested deeper than ${MAX_JSON_DEPTH} levels`)
  .superRefine((value, ctx) => {
    const path = unsendableTextPath(value);
    if (path) {
      ctx.addIssue({
        code: 'custom',
        path,
        message: 'contains a lone UTF-16 surrogate, which no provider can take (not encodable as UTF-8)',
      });
    }
  })
  .describe(
    'Free-form interview configuration handed to the agent (role, candidate, language, systemPrompt...); text with a lone UTF-16 surrogate is refused (400 naming the field)',
  );

export const startInterviewBody = z.strictObject({
  simulationId: resourceId.optional().describe('A stored simulation; request fields override it'),
  primary: modelId.optional().describe('Required unless simulationId names a stored simulation'),
  fallbacks: z
    .array(modelId)
    .max(MAX_FALLBACKS)
    .optional()
    .describe("The caller's fallbacks, tried in this order before the simulation's and auto"),
  config: freeForm.optional(),
});

// The path names the simulation; the body is what it holds.
export const simulationBody = z.strictObject({
  primary: modelId,
  fallbacks: z.array(modelId).max(MAX_FALLBACKS).default([]),
  interview: freeForm.default({}),
});

export const probeBody = z.strictObject({ models: z.array(modelId).min(1).max(200).optional() }).default({});

const isoTime = z.iso.datetime({ offset: true });
// Every list pages the same way: `limit` (a page may hold fewer: it also stops at about 1 MiB) and
// `cursor`, taken from the previous page's `nextCursor` (null on the last page).
const limit = z.coerce
  .number()
  .int()
  .min(1)
  .max(500)
  .default(50)
  .describe('Most items on a page; a page also stops at about 1 MiB of items (follow nextCursor)');
const cursorOf = (pattern: RegExp) =>
  z
    .string()
    .regex(pattern, 'not a cursor this API gave out (use nextCursor from the previous page)')
    .optional()
    .describe('nextCursor from the previous page; absent for the first page');
const cursor = cursorOf(CURSOR_PATTERN);

export const fallbackQuery = z.strictObject({
  model: modelId.optional(),
  simulationId: resourceId.optional(),
  reason: z.enum(FALLBACK_REASONS).optional(),
  since: isoTime.optional(),
  until: isoTime.optional(),
  limit,
  cursor,
});

export const historyQuery = z.strictObject({ limit, cursor });
export const simulationQuery = z.strictObject({ limit, cursor: cursorOf(KEY_CURSOR_PATTERN) });

// ---- responses (documentation; the code builds them from typed records) ----

export const errorResponse = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()) }),
});

const latency = z.object({ p50Ms: z.number().nullable(), p95Ms: z.number().nullable(), p99Ms: z.number().nullable() });
const outcome = z.enum(OUTCOMES);
const state = z.enum(HEALTH_STATES);

export const healthModel = z.object({
  id: z.string(),
  hedgeDelayMs: z
    .number()
    .describe("How long a start waits for this model's first token before it also tries the next"),
  inFlight: z.number().describe('Calls the agent has taken on that have had no first token yet'),
  firstTokenMisses: z.number().describe('Calls in a row with no first token within the hedge delay'),
  confirming: z.boolean().describe('A failure is being confirmed: probed every confirm interval'),
  forgiveness: z
    .object({ streak: z.number(), required: z.number() })
    .describe('While degraded: probes within the SLO in a row, and how many bring it back'),
  provider: z.string(),
  state,
  reason: z.string(),
  since: z.string().nullable(),
  latency,
  ttft: latency,
  errorRate: z.number().nullable(),
  slowCallRate: z.number().nullable(),
  samples: z.object({
    total: z.number(),
    bySource: z.record(z.string(), z.number()),
    byOutcome: z.record(z.string(), z.number()),
  }),
  consecutiveFailures: z.number(),
  consecutiveSuccesses: z.number(),
  requiredSuccesses: z.number(),
  lastProbeAt: z.string().nullable(),
  lastSuccessAt: z.string().nullable(),
  lastError: z
    .object({ at: z.string(), outcome, httpStatus: z.number().nullable(), message: z.string().nullable() })
    .nullable(),
  nextProbeAt: z.string().nullable(),
  probing: z.boolean(),
  thresholds: z.record(z.string(), z.number()),
  probeCost: z.object({ tokensPerProbe: z.number().nullable(), estimatedUsdPerDay: z.number().nullable() }),
  drain: z
    .object({ drained: z.boolean(), reason: z.string().nullable(), since: z.string().nullable() })
    .describe('An operator drain (POST /v1/models/{id}/drain): out of rotation for starts but as a last resort'),
});

export const attempt = z.object({
  modelId: z.string(),
  source: z.string(),
  outcome: z.enum(ATTEMPT_OUTCOMES),
  latencyMs: z.number(),
  ttftMs: z.number().nullable(),
  httpStatus: z.number().nullable(),
  errorMessage: z.string().nullable(),
});

export const fallbackEvent = z.object({
  id: z.string(),
  at: z.string(),
  simulationId: z.string().nullable(),
  interviewId: z.string(),
  primary: z.string(),
  chosen: z.string(),
  reason: z.enum(FALLBACK_REASONS),
  source: z.enum(['caller', 'simulation', 'auto', 'primary']),
  primaryHealth: z.object({
    state,
    reason: z.string(),
    p95Ms: z.number().nullable(),
    errorRate: z.number().nullable(),
    samples: z.number(),
    consecutiveFailures: z.number(),
  }),
  attempts: z.array(attempt),
  traceId: z.string().nullable(),
});

export const interview = z.object({
  interviewId: z.string(),
  at: z.string(),
  simulationId: z.string().nullable(),
  requestedModel: z.string(),
  model: z.string(),
  usedFallback: z.boolean(),
  fallback: z.object({ reason: z.enum(FALLBACK_REASONS), source: z.string(), eventId: z.string() }).nullable(),
  primaryTriedAnyway: z.boolean(),
  attempts: z.array(attempt),
  openingLine: z.string(),
  usage: z.object({ inputTokens: z.number(), outputTokens: z.number() }).nullable(),
  latencyMs: z.number(),
  traceId: z.string().nullable(),
});

export const simulation = z.object({
  id: z.string(),
  primary: z.string(),
  fallbacks: z.array(z.string()),
  interview: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const transition = z.object({ modelId: z.string(), at: z.string(), from: state, to: state, reason: z.string() });

export const probeResult = z.object({
  modelId: z.string(),
  probed: z.boolean(),
  skipped: z.string().optional(),
  outcome: outcome.optional(),
  latencyMs: z.number().optional(),
  ttftMs: z.number().nullable().optional(),
  httpStatus: z.number().nullable().optional(),
  errorMessage: z.string().nullable().optional(),
  state: state.optional(),
});

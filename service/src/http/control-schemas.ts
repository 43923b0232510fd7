import { z } from 'zod';
import { HEALTH_STATES } from '../domain/health/index.js';

/** Schemas of run-time control (models, drains, reload) and the event stream: validation and /openapi.json. */

const reasonText = z
  .string()
  .min(1, 'say why, e.g. "provider maintenance until 14:00 UTC"')
  .max(500)
  // Printable characters spelled as ranges rather than \P{Cc}: the pattern is also read by JSON Schema
  // tools (Schemathesis) whose regex engines lack \p classes.
  .regex(
    /^[\u0020-\u007e\u00a0-\uffff]*[\u0021-\u007e\u00a1-\uffff][\u0020-\u007e\u00a0-\uffff]*$/,
    'must be printable text with at least one visible character (no control characters)',
  );

export const drainBody = z.strictObject({ reason: reasonText });
export const undrainBody = z.strictObject({ reason: reasonText.optional() }).default({});

const drain = z.object({
  drained: z.boolean(),
  reason: z.string().nullable(),
  since: z.string().nullable().describe('When the drain was set (ISO time)'),
});

export const registeredModel = z.object({
  id: z.string(),
  provider: z.string(),
  model: z.string().describe("The provider's model name"),
  endpoint: z.object({
    name: z.string(),
    kind: z.enum(['openai', 'anthropic', 'openai_compatible']),
    baseUrl: z.string(),
    apiKeyEnv: z.string().describe('The NAME of the variable the agent reads the key from; never the key'),
    headerNames: z.array(z.string()).describe('Names of the extra headers; their values are not shown'),
  }),
  tier: z.string().nullable(),
  capabilities: z.array(z.string()),
  pricing: z.object({ inputPerMillion: z.number(), outputPerMillion: z.number() }).nullable(),
  probe: z.object({
    intervalSeconds: z.number(),
    unhealthyIntervalSeconds: z.number(),
    timeoutSeconds: z.number(),
    jitterSeconds: z.number(),
    maxTokens: z.number(),
  }),
  thresholds: z.record(z.string(), z.number()).describe('Health thresholds in force (milliseconds, ratios, counts)'),
  state: z.enum(HEALTH_STATES),
  reason: z.string(),
  nextProbeAt: z.string().nullable(),
  drain,
});

export const reloadReport = z.object({
  file: z.string(),
  added: z.array(z.string()).describe('New models: unknown, probed at once'),
  removed: z.array(z.string()).describe('No longer probed or chosen'),
  reset: z
    .array(z.string())
    .describe('Endpoint, model name, health settings or probe interval changed: back to unknown, probed at once'),
  updated: z.array(z.string()).describe('Other settings changed; health kept'),
  unchanged: z.array(z.string()).describe('Health kept'),
  restartNeeded: z.array(z.string()).describe('Changed sections that take effect only at the next start'),
});

export const transitionEvent = z.object({
  modelId: z.string(),
  at: z.string(),
  from: z.enum(HEALTH_STATES),
  to: z.enum(HEALTH_STATES),
  reason: z.string(),
});

export const registryEvent = z.object({
  change: z.enum(['reload', 'drain', 'undrain']),
  at: z.string().optional(),
  modelId: z.string().optional().describe('drain and undrain'),
  reason: z.string().optional().describe('drain and undrain'),
  added: z
    .array(z.string())
    .optional()
    .describe('reload: as in the reload answer, and `models`, the ids now registered'),
});

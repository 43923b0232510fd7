import { z } from 'zod';
import { DEFAULT_MAX_CONCURRENT_PROBES, DEFAULT_PROBE_PLAN } from '../domain/probe-plan.js';
import { crossSettingIssues, healthSettingsSchema } from './health-settings.js';
import { agentSchemas, providerKindValues } from '../agent/contract.gen.js';

// The configuration file's schema: one source for validation at start-up and for the README's reference.
// Durations are in seconds (what people write in YAML); the domain converts to milliseconds.
// The health thresholds come from their declarations (health-settings.ts), the probe defaults from the
// domain's probe plan.

const positiveSeconds = z.number().positive();
// The agent reads the providers section of this same file with its own limits (ProviderConfig in its contract,
// agent/contract/openapi.json): the same limits here, so the service refuses at start-up what the agent would.
// The agent only reads variables named as API keys (see docs/design.md).
const endpointLimits = agentSchemas.ProviderConfig.properties;
const envVarName = z
  .string()
  .max(endpointLimits.apiKeyEnv.maxLength)
  .regex(
    new RegExp(endpointLimits.apiKeyEnv.pattern),
    'must be the name of an environment variable ending in _API_KEY, such as OPENAI_API_KEY',
  );

export const PROVIDER_KINDS = providerKindValues;

const MAX_CALL_SECONDS = agentSchemas.ProbeRequest.properties.timeoutMs.maximum / 1000;
const MAX_HEADERS = endpointLimits.headers.maxProperties;
const headerName = z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'must be a valid HTTP header name');
const headerValue = z.string().regex(/^[^\r\n]*$/, 'must not contain a line break');

export const providerSchema = z.strictObject({
  kind: z.enum(PROVIDER_KINDS),
  baseUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(endpointLimits.baseUrl.maxLength),
  apiKeyEnv: envVarName,
  headers: z
    .record(headerName, headerValue)
    .refine((h) => Object.keys(h).length <= MAX_HEADERS, `at most ${MAX_HEADERS} headers`)
    .default({}),
});

export const probeSettingsSchema = z.strictObject({
  intervalSeconds: z
    .number()
    .min(1)
    .default(DEFAULT_PROBE_PLAN.intervalMs / 1000),
  unhealthyIntervalSeconds: z
    .number()
    .min(1)
    .default(DEFAULT_PROBE_PLAN.unhealthyIntervalMs / 1000),
  degradedIntervalSeconds: z
    .number()
    .min(1)
    .default(DEFAULT_PROBE_PLAN.degradedIntervalMs / 1000),
  confirmIntervalSeconds: positiveSeconds.default(DEFAULT_PROBE_PLAN.confirmIntervalMs / 1000),
  timeoutSeconds: positiveSeconds.max(MAX_CALL_SECONDS).default(DEFAULT_PROBE_PLAN.timeoutMs / 1000),
  jitterSeconds: z
    .number()
    .min(0)
    .default(DEFAULT_PROBE_PLAN.jitterMs / 1000),
  maxTokens: z.int().min(1).max(64).default(DEFAULT_PROBE_PLAN.maxTokens),
  // Scheduled probes in flight at once, over all models; beyond it due probes wait (lateness is reported).
  maxConcurrent: z.int().min(1).max(10_000).default(DEFAULT_MAX_CONCURRENT_PROBES),
});

const probeOverridesSchema = z.strictObject({
  intervalSeconds: z.number().min(1).optional(),
  unhealthyIntervalSeconds: z.number().min(1).optional(),
  degradedIntervalSeconds: z.number().min(1).optional(),
  confirmIntervalSeconds: positiveSeconds.optional(),
  timeoutSeconds: positiveSeconds.max(MAX_CALL_SECONDS).optional(),
  maxTokens: z.int().min(1).max(64).optional(),
});

export const modelSchema = z.strictObject({
  // No "/" in ids, so every id is one URL path segment; a provider model name with "/" goes in `model`.
  id: z
    .string()
    .max(200)
    .regex(
      /^[a-z0-9_-]+:[A-Za-z0-9._-]+$/,
      'must be "provider:model" (letters, digits, ".", "_", "-"), e.g. openai:gpt-4o',
    ),
  model: z
    .string()
    .min(1)
    .max(256)
    .regex(/^\P{Cc}+$/u, 'must not contain control characters')
    .optional(),
  tier: z.string().min(1).optional(),
  capabilities: z.array(z.string().min(1)).default([]),
  pricing: z.strictObject({ inputPerMillion: z.number().min(0), outputPerMillion: z.number().min(0) }).optional(),
  probe: probeOverridesSchema.optional(),
  health: healthSettingsSchema.optional(),
});

export const interviewSettingsSchema = z.strictObject({
  deadlineSeconds: positiveSeconds.default(30),
  attemptTimeoutSeconds: positiveSeconds.max(MAX_CALL_SECONDS).default(20),
  maxTokens: z.int().min(1).max(4096).default(120),
  // Back-pressure (app/start-admission.ts): starts beyond these get 503 + Retry-After at once; no wait queue.
  maxInFlight: z.int().min(1).max(100_000).default(128),
  maxInFlightPerModel: z.int().min(1).max(100_000).default(64),
  retryAfterSeconds: z.int().min(1).max(3600).default(1),
  // Adaptive back-pressure (app/handoff-gate.ts): starts are refused while even the fastest call of the
  // last handoffIntervalMs (at least handoffMinCalls of them) waited longer than handoffTargetMs for
  // the agent to take it on, or handoffMinCalls calls still waiting have waited past target + interval.
  // 10 calls in 250 ms is 40 starts/s: below that, no queue is of our making.
  handoffTargetMs: z.int().min(1).max(60_000).default(50),
  handoffIntervalMs: z.int().min(10).max(60_000).default(250),
  handoffMinCalls: z.int().min(1).max(100_000).default(10),
});

// The service's liveness check of the agent (agent/agent-liveness.ts): how soon a frozen agent is known down.
export const agentSettingsSchema = z.strictObject({
  checkIntervalSeconds: z.number().min(0.1).max(60).default(1),
  checkTimeoutSeconds: z.number().min(0.1).max(30).default(1),
});

export const apiSettingsSchema = z.strictObject({
  bodyLimitBytes: z.int().min(1024).default(65_536),
  protectReads: z.boolean().default(false),
});

export const storeSettingsSchema = z.strictObject({
  // sqlite: one process on a local file (the default); postgres: several replicas on DATABASE_URL.
  // Unset: postgres when DATABASE_URL is in the environment, else sqlite.
  kind: z.enum(['sqlite', 'postgres']).optional(),
  // normal: a commit survives a crash of the process (WAL); full: also of the machine (fsync per commit).
  synchronous: z.enum(['normal', 'full']).default('normal'),
  // Connections each replica may hold on PostgreSQL; every replica adds this many to the server's total.
  poolSize: z.int().min(1).max(100).default(10),
});

export const configSchema = z
  .strictObject({
    providers: z.record(
      z.string().regex(/^[a-z0-9_-]{1,64}$/, 'provider names are lowercase letters, digits, "_" or "-", at most 64'),
      providerSchema,
    ),
    models: z.array(modelSchema).min(1, 'register at least one model'),
    probes: probeSettingsSchema.default(probeSettingsSchema.parse({})),
    health: healthSettingsSchema.default({}),
    interviews: interviewSettingsSchema.default(interviewSettingsSchema.parse({})),
    agent: agentSettingsSchema.default(agentSettingsSchema.parse({})),
    api: apiSettingsSchema.default(apiSettingsSchema.parse({})),
    store: storeSettingsSchema.default(storeSettingsSchema.parse({})),
  })
  .superRefine((config, ctx) => {
    const seen = new Set<string>();
    config.models.forEach((m, i) => {
      const providerName = m.id.split(':')[0] ?? '';
      if (!(providerName in config.providers)) {
        ctx.addIssue({
          code: 'custom',
          path: ['models', i, 'id'],
          message: `provider "${providerName}" is not declared under providers (declared: ${Object.keys(config.providers).join(', ') || 'none'})`,
        });
      }
      if (seen.has(m.id)) {
        ctx.addIssue({ code: 'custom', path: ['models', i, 'id'], message: `duplicate model id "${m.id}"` });
      }
      seen.add(m.id);
    });
    for (const issue of crossSettingIssues(config)) ctx.addIssue({ code: 'custom', ...issue });
  });

export type ConfigFile = z.infer<typeof configSchema>;
export type ProviderConfig = z.infer<typeof providerSchema>;
export type ModelConfig = z.infer<typeof modelSchema>;

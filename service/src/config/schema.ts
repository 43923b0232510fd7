import { z } from 'zod';

// The configuration file's schema: one source for validation at start-up and for the README's reference.
// Durations are in seconds (what people write in YAML); the domain converts to milliseconds.

const positiveSeconds = z.number().positive();
const ratio = z.number().min(0).max(1);
const envVarName = z
  .string()
  .regex(/^[A-Z][A-Z0-9_]*$/, 'must be an environment variable name such as OPENAI_API_KEY');

export const PROVIDER_KINDS = ['openai', 'anthropic', 'openai_compatible'] as const;

export const providerSchema = z.strictObject({
  kind: z.enum(PROVIDER_KINDS),
  baseUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
  apiKeyEnv: envVarName,
  headers: z.record(z.string(), z.string()).default({}),
});

export const healthOverridesSchema = z.strictObject({
  windowSeconds: positiveSeconds.optional(),
  maxSamples: z.int().min(16).max(100_000).optional(),
  minSamples: z.int().min(1).optional(),
  unhealthyConsecutiveFailures: z.int().min(1).optional(),
  unhealthyErrorRate: ratio.optional(),
  degradedErrorRate: ratio.optional(),
  latencySloMs: z.number().positive().optional(),
  rateLimitedRecentSeconds: positiveSeconds.optional(),
  recoverySuccesses: z.int().min(1).optional(),
  recoveryBackoffFactor: z.number().min(1).optional(),
  recoveryMaxSuccesses: z.int().min(1).optional(),
  tripMemorySeconds: positiveSeconds.optional(),
  staleAfterSeconds: positiveSeconds.optional(),
});

export const probeSettingsSchema = z.strictObject({
  intervalSeconds: z.number().min(1).default(10),
  unhealthyIntervalSeconds: z.number().min(1).default(5),
  timeoutSeconds: positiveSeconds.default(10),
  jitterSeconds: z.number().min(0).default(1),
  maxTokens: z.int().min(1).max(64).default(1),
});

const probeOverridesSchema = z.strictObject({
  intervalSeconds: z.number().min(1).optional(),
  unhealthyIntervalSeconds: z.number().min(1).optional(),
  timeoutSeconds: positiveSeconds.optional(),
  maxTokens: z.int().min(1).max(64).optional(),
});

export const modelSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9_-]+:[A-Za-z0-9._\-/]+$/, 'must be "provider:model", e.g. openai:gpt-4o'),
  model: z.string().min(1).optional(),
  tier: z.string().min(1).optional(),
  capabilities: z.array(z.string().min(1)).default([]),
  pricing: z
    .strictObject({ inputPerMillion: z.number().min(0), outputPerMillion: z.number().min(0) })
    .optional(),
  probe: probeOverridesSchema.optional(),
  health: healthOverridesSchema.optional(),
});

export const interviewSettingsSchema = z.strictObject({
  deadlineSeconds: positiveSeconds.default(30),
  attemptTimeoutSeconds: positiveSeconds.default(20),
  maxTokens: z.int().min(1).max(4096).default(120),
});

export const apiSettingsSchema = z.strictObject({
  bodyLimitBytes: z.int().min(1024).default(65_536),
  protectReads: z.boolean().default(false),
});

export const configSchema = z
  .strictObject({
    providers: z.record(z.string().regex(/^[a-z0-9_-]+$/, 'provider names are lowercase'), providerSchema),
    models: z.array(modelSchema).min(1, 'register at least one model'),
    probes: probeSettingsSchema.default(probeSettingsSchema.parse({})),
    health: healthOverridesSchema.default({}),
    interviews: interviewSettingsSchema.default(interviewSettingsSchema.parse({})),
    api: apiSettingsSchema.default(apiSettingsSchema.parse({})),
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
  });

export type ConfigFile = z.infer<typeof configSchema>;
export type ProviderConfig = z.infer<typeof providerSchema>;
export type ModelConfig = z.infer<typeof modelSchema>;
export type HealthOverridesConfig = z.infer<typeof healthOverridesSchema>;

import { z } from 'zod';
import { ConfigError, describeIssues } from './load.js';

export const DEFAULT_CONFIG_FILE = 'config/demo.yaml';

/** The config file to load; used on its own when other settings are invalid, so both get reported. */
export const configFileOf = (env: Record<string, string | undefined>): string => env.CONFIG || DEFAULT_CONFIG_FILE;

/** Process settings from the environment: read once here, validated, passed down. */
const settingsSchema = z.object({
  SERVICE_PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  SERVICE_HOST: z.string().default('127.0.0.1'),
  AGENT_PORT: z.coerce.number().int().min(1).max(65_535).default(8000),
  AGENT_URL: z.url().optional(),
  DATA_DIR: z.string().min(1).default('data'),
  // A secret (it may carry a password): read here, passed to the store, never logged.
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgresql:// URL')
    .optional(),
  CONFIG: z.string().min(1).default(DEFAULT_CONFIG_FILE),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  MODELWATCH_API_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  // The agent refuses calls without it; the same value is given to the agent.
  MODELWATCH_AGENT_TOKEN: z
    .string({ error: 'required: the shared secret the agent requires on every call (the same value as the agent)' })
    .min(16, 'must be at least 16 characters'),
  // Longer than an interview start's deadline (30 s), so in-flight starts finish on SIGTERM.
  SHUTDOWN_GRACE_SECONDS: z.coerce.number().positive().default(35),
  OTEL_SERVICE_NAME: z.string().default('modelwatch-service'),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.string().optional(),
  OTEL_TRACES_EXPORTER: z.string().optional(),
});

export interface Settings {
  port: number;
  host: string;
  agentUrl: string;
  dataDir: string;
  databaseUrl: string | undefined;
  configFile: string;
  logLevel: z.infer<typeof settingsSchema>['LOG_LEVEL'];
  apiToken: string | undefined;
  agentToken: string;
  shutdownGraceMs: number;
  /** The OTLP exporter reads its OTEL_* variables itself; here only: is export on at all. */
  tracing: { serviceName: string; exportEnabled: boolean };
}

export function readSettings(env: Record<string, string | undefined>): Settings {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = settingsSchema.safeParse(cleaned);
  if (!result.success) throw new ConfigError('environment', describeIssues(result.error.issues));
  const s = result.data;
  return {
    port: s.SERVICE_PORT,
    host: s.SERVICE_HOST,
    agentUrl: (s.AGENT_URL ?? `http://127.0.0.1:${s.AGENT_PORT}`).replace(/\/+$/, ''),
    dataDir: s.DATA_DIR,
    databaseUrl: s.DATABASE_URL,
    configFile: s.CONFIG,
    logLevel: s.LOG_LEVEL,
    apiToken: s.MODELWATCH_API_TOKEN,
    agentToken: s.MODELWATCH_AGENT_TOKEN,
    shutdownGraceMs: s.SHUTDOWN_GRACE_SECONDS * 1000,
    tracing: {
      serviceName: s.OTEL_SERVICE_NAME,
      exportEnabled:
        Boolean(s.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? s.OTEL_EXPORTER_OTLP_ENDPOINT) &&
        s.OTEL_TRACES_EXPORTER !== 'none',
    },
  };
}

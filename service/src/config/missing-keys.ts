import type { ConfigFile } from './schema.js';

/** A key variable the config names that the environment does not set, with the models that need it. */
export interface MissingKey {
  variable: string;
  providers: string[];
  models: string[];
}

/**
 * The agent reads each provider's key from the variable the config names (`apiKeyEnv`); an unset one
 * makes every call to those models fail as `auth`. Found here at start-up instead of as an unhealthy
 * model later. Grouped by variable: several providers may share one (the demo's simulator key).
 */
export function missingKeys(config: ConfigFile, env: Record<string, string | undefined>): MissingKey[] {
  const byVariable = new Map<string, MissingKey>();
  for (const [name, provider] of Object.entries(config.providers)) {
    const variable = provider.apiKeyEnv;
    if (env[variable]) continue;
    const entry = byVariable.get(variable) ?? { variable, providers: [], models: [] };
    entry.providers.push(name);
    entry.models.push(...config.models.filter((m) => m.id.split(':')[0] === name).map((m) => m.id));
    byVariable.set(variable, entry);
  }
  return [...byVariable.values()].filter((m) => m.models.length > 0);
}

export function describeMissingKey(m: MissingKey): string {
  return `environment variable ${m.variable} is not set: every call to ${m.models.join(', ')} will fail (outcome auth)`;
}

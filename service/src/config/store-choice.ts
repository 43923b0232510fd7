import type { ConfigFile } from './schema.js';
import { ConfigError } from './load.js';

/** Which store this process uses: one decision, from the config file and the environment. */
export type StoreChoice =
  | { kind: 'sqlite'; dataDir: string; synchronous: 'normal' | 'full' }
  | { kind: 'postgres'; url: string; poolSize: number };

export function chooseStore(
  config: Pick<ConfigFile, 'store'>,
  settings: { dataDir: string; databaseUrl: string | undefined },
): StoreChoice {
  const kind = config.store.kind ?? (settings.databaseUrl ? 'postgres' : 'sqlite');
  if (kind === 'sqlite') return { kind, dataDir: settings.dataDir, synchronous: config.store.synchronous };
  if (!settings.databaseUrl)
    throw new ConfigError('environment', [
      'DATABASE_URL: required when store.kind is postgres (e.g. postgresql://user:password@host:5432/modelwatch)',
    ]);
  return { kind, url: settings.databaseUrl, poolSize: config.store.poolSize };
}

import { ConfigError, loadConfigFile } from './config/load.js';
import { describeMissingKey, missingKeys } from './config/missing-keys.js';
import { configFileOf } from './config/settings.js';

/**
 * `node dist/check-config.js [file]` (`make check-config CONFIG=…`): loads and validates a config file
 * exactly as start-up does, and starts nothing. Prints every problem with its file, field and reason
 * and exits 2; a valid file exits 0, with a warning for each key variable the environment lacks.
 */
function checkConfig(argv: string[], env: Record<string, string | undefined>): number {
  const file = argv[0] ?? configFileOf(env);
  try {
    const config = loadConfigFile(file, env);
    const ids = config.models.map((m) => m.id);
    process.stdout.write(`modelwatch: ${file} is valid: ${ids.length} models (${ids.join(', ')})\n`);
    for (const m of missingKeys(config, env)) process.stderr.write(`modelwatch: warning: ${describeMissingKey(m)}\n`);
    return 0;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`modelwatch: ${err.message}\n`);
    return 2;
  }
}

process.exitCode = checkConfig(process.argv.slice(2), process.env);

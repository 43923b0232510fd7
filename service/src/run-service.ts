import { ConfigError, loadConfigFile } from './config/load.js';
import { describeMissingKey, missingKeys } from './config/missing-keys.js';
import type { ConfigFile } from './config/schema.js';
import { configFileOf, readSettings, type Settings } from './config/settings.js';
import { chooseStore, type StoreChoice } from './config/store-choice.js';
import type { HangupGate } from './hangup-gate.js';
import { createLogger } from './telemetry/logger.js';
import { startTracing } from './telemetry/tracing.js';

/** The process (main.ts loads it): settings and config first (a bad one stops start-up with every problem named). */
/** Every start-up problem at once: the environment's and the config file's, then exit 2. */
function loadOrExit(): { settings: Settings; config: ConfigFile; storeChoice: StoreChoice } {
  const errors: ConfigError[] = [];
  let settings: Settings | undefined;
  let config: ConfigFile | undefined;
  try {
    settings = readSettings(process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    errors.push(err);
  }
  try {
    config = loadConfigFile(settings?.configFile ?? configFileOf(process.env), process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    errors.push(err);
  }
  let storeChoice: StoreChoice | undefined;
  try {
    if (settings && config) storeChoice = chooseStore(config, settings);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    errors.push(err);
  }
  if (!settings || !config || !storeChoice) {
    for (const e of errors) process.stderr.write(`modelwatch: ${e.message}\n`);
    process.exit(2);
  }
  return { settings, config, storeChoice };
}

export async function runService(hangups: HangupGate): Promise<void> {
  const { settings, config, storeChoice } = loadOrExit();
  const logger = createLogger(settings.logLevel);
  for (const m of missingKeys(config, process.env)) {
    logger.warn({ event: 'missing_api_key', variable: m.variable, models: m.models }, describeMissingKey(m));
  }
  const tracing = startTracing(settings.tracing);
  // Loaded after tracing starts so every module sees the registered tracer provider.
  const { startService } = await import('./start.js');
  const service = await startService(
    {
      config,
      agentUrl: settings.agentUrl,
      agentToken: settings.agentToken,
      dataDir: settings.dataDir,
      storeChoice,
      logger,
      apiToken: settings.apiToken,
      tracer: tracing.tracer,
      configFile: settings.configFile,
      loadConfig: () => loadConfigFile(settings.configFile, process.env),
    },
    { port: settings.port, host: settings.host },
  );
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ event: 'shutdown', signal }, 'stopping: finishing in-flight work');
    void service
      .stop(settings.shutdownGraceMs)
      .then(() => tracing.shutdown())
      .then(
        () => process.exit(0),
        () => process.exit(1),
      );
  };
  // SIGHUP re-reads the config file; an invalid one is logged (file, field, reason) and changes nothing.
  const { deferred } = hangups.open(() => {
    try {
      service.reload();
    } catch (err) {
      if (!(err instanceof ConfigError)) logger.error({ event: 'config_reload_failed', err }, 'reload failed');
    }
  });
  if (deferred) logger.info({ event: 'config_reload_deferred' }, 'a SIGHUP during start-up was applied once started');
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

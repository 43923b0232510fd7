import { ConfigReloader } from './app/config-reload.js';
import { EventHub } from './app/event-hub.js';
import { HISTORY_SAMPLE_MS, LatencyHistory } from './app/latency-history.js';
import { ModelDrains } from './app/model-drains.js';
import type { ConfigFile } from './config/schema.js';
import type { HealthEngine } from './domain/health/index.js';
import type { ModelRegistry } from './domain/model-registry.js';
import type { ApiContext } from './http/context.js';
import { DEFAULT_SSE_LIMITS, type SseLimits } from './http/event-stream/sse-client.js';
import { logCheckpointTrouble } from './open-store.js';
import { SqliteControlStore, type ControlStore } from './store/control-store.js';
import { ControlMetrics } from './telemetry/control-metrics.js';
import type { Logger } from './telemetry/logger.js';
import type { Registry } from 'prom-client';
import type { ServiceMetrics } from './telemetry/metrics.js';

/** The composition of run-time control: the event journal and hub, drains, reloads, latency history. */

export interface ControlOptions {
  config: ConfigFile;
  dataDir: string;
  configFile?: string;
  loadConfig?: () => ConfigFile;
  control?: ControlStore;
  stream?: Partial<SseLimits>;
  historySampleMs?: number;
}

export interface CoreParts {
  registry: ModelRegistry;
  engine: HealthEngine;
  metrics: ServiceMetrics;
  metricsRegistry: Registry;
  logger: Logger;
  clock: () => number;
}

export function buildControl(opts: ControlOptions, core: CoreParts) {
  const { registry, engine, metrics, logger, clock } = core;
  const control =
    opts.control ?? SqliteControlStore.openInDir(opts.dataDir, logCheckpointTrouble(logger, 'control.db'));
  const controlMetrics = new ControlMetrics(core.metricsRegistry);
  const events = new EventHub(control, logger, clock);
  const drains = new ModelDrains({ store: control, events, metrics: controlMetrics, logger, clock });
  drains.showModels(registry.ids());
  const history = new LatencyHistory();
  const reloader = opts.loadConfig
    ? new ConfigReloader({
        file: opts.configFile ?? 'the config file',
        load: opts.loadConfig,
        initial: opts.config,
        ...{ registry, engine, metrics, controlMetrics, drains, events, logger },
      })
    : null;
  reloader?.onApplied(() => history.keepOnly(registry.ids()));
  return { control, controlMetrics, events, drains, history, reloader };
}

export type ControlParts = ReturnType<typeof buildControl>;

/** What the routes need of it. */
export function controlContext(
  parts: ControlParts,
  opts: ControlOptions,
): Pick<ApiContext, 'events' | 'stream' | 'drains' | 'history' | 'reload'> {
  const { reloader, controlMetrics } = parts;
  return {
    events: parts.events,
    stream: {
      limits: { ...DEFAULT_SSE_LIMITS, ...opts.stream },
      onConnect: (delta) => controlMetrics.clientConnected(delta),
      onDrop: () => controlMetrics.clientDropped(),
    },
    drains: parts.drains,
    history: parts.history,
    reload: reloader ? () => reloader.reload() : null,
  };
}

/** Samples the latency chart now and then every `historySampleMs`; returns the stop. */
export function sampleHistory(parts: ControlParts, core: CoreParts, opts: ControlOptions): () => void {
  const sample = (): void => parts.history.record(core.engine.snapshots(), core.clock());
  sample();
  const timer = setInterval(sample, opts.historySampleMs ?? HISTORY_SAMPLE_MS);
  timer.unref();
  return () => clearInterval(timer);
}

import { ConfigError } from '../config/load.js';
import { buildModelRegistry } from '../config/build-model-registry.js';
import type { ConfigFile } from '../config/schema.js';
import type { HealthEngine } from '../domain/health/index.js';
import type { ModelRegistry, RegisteredModel } from '../domain/model-registry.js';
import type { ControlMetrics } from '../telemetry/control-metrics.js';
import type { Logger } from '../telemetry/logger.js';
import type { ServiceMetrics } from '../telemetry/metrics.js';
import type { EventHub } from './event-hub.js';
import type { ModelDrains } from './model-drains.js';

/** What a reload did, model by model. */
export interface ReloadReport {
  file: string;
  /** New models: they start `unknown` and are probed at once. */
  added: string[];
  /** Gone from the file: no longer probed or chosen. */
  removed: string[];
  /** Endpoint, provider model, health settings or probe interval changed: evidence dropped, `unknown`, probed at once. */
  reset: string[];
  /** Only tier, capabilities, pricing, or probe timeout, tokens or unhealthy interval changed: health kept. */
  updated: string[];
  unchanged: string[];
  /** Sections that changed in the file but take effect only at the next start. */
  restartNeeded: string[];
}

// Read once at start-up and wired into the HTTP server, the starter and the store.
/** Sections a reload does not apply: the README's reload paragraph names them (checked by a test). */
export const RESTART_SECTIONS = ['agent', 'api', 'store'] as const;

/** JSON with sorted keys: two models are the same when their settings are, whatever the key order. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}
// The probe interval sizes the staleness default, so it is part of how evidence is judged.
const evidenceKey = (m: RegisteredModel): string =>
  stableJson({ e: m.endpoint, m: m.model, h: m.health, i: m.probe.intervalMs });

export interface ReloaderDeps {
  file: string;
  load: () => ConfigFile;
  initial: ConfigFile;
  registry: ModelRegistry;
  engine: HealthEngine;
  metrics: ServiceMetrics;
  controlMetrics: ControlMetrics;
  drains: ModelDrains;
  events: EventHub;
  logger: Logger;
}

/**
 * Re-reads the config file and applies it without a restart. The new file is validated whole
 * before anything changes: an invalid one throws the same ConfigError start-up prints, and the
 * running configuration stays in force.
 */
export class ConfigReloader {
  private current: ConfigFile;
  private readonly listeners: Array<(report: ReloadReport, config: ConfigFile) => void> = [];

  constructor(private readonly deps: ReloaderDeps) {
    this.current = deps.initial;
  }

  /** The scheduler listens here (it sits above this layer). */
  onApplied(listener: (report: ReloadReport, config: ConfigFile) => void): void {
    this.listeners.push(listener);
  }

  reload(): ReloadReport {
    const { logger, controlMetrics, file } = this.deps;
    let config: ConfigFile;
    try {
      config = this.deps.load();
    } catch (err) {
      controlMetrics.recordReload('refused');
      if (err instanceof ConfigError)
        logger.error({ event: 'config_reload_refused', file, problems: err.problems }, err.message);
      throw err;
    }
    const report = this.apply(config);
    controlMetrics.recordReload('applied');
    logger.warn({ event: 'config_reloaded', ...report }, `configuration reloaded from ${file}`);
    for (const listener of this.listeners) listener(report, config);
    return report;
  }

  private apply(config: ConfigFile): ReloadReport {
    const { registry, engine, metrics, drains, events } = this.deps;
    const next = buildModelRegistry(config).all();
    const before = new Map(registry.all().map((m) => [m.id, m]));
    const report: ReloadReport = {
      file: this.deps.file,
      added: [],
      removed: [...before.keys()].filter((id) => !next.some((m) => m.id === id)),
      reset: [],
      updated: [],
      unchanged: [],
      restartNeeded: RESTART_SECTIONS.filter((k) => stableJson(config[k]) !== stableJson(this.current[k])),
    };
    for (const m of next) {
      const old = before.get(m.id);
      if (!old) report.added.push(m.id);
      else if (evidenceKey(old) !== evidenceKey(m)) report.reset.push(m.id);
      else if (stableJson(old) !== stableJson(m)) report.updated.push(m.id);
      else report.unchanged.push(m.id);
    }
    registry.replace([...next]);
    for (const id of [...report.removed, ...report.reset]) engine.unregister(id);
    for (const m of next) if (!engine.has(m.id)) engine.register(m.id, m.health, m.probe.intervalMs);
    metrics.syncModels(next, report.added, report.removed);
    for (const id of [...report.added, ...report.reset]) metrics.setHealth(engine.snapshot(id));
    drains.showModels(
      next.map((m) => m.id),
      report.removed,
    );
    // Sections that need a restart keep their running values, so the next diff is against those.
    this.current = { ...config, ...Object.fromEntries(RESTART_SECTIONS.map((k) => [k, this.current[k]])) };
    events.publish('registry', { change: 'reload', ...report, models: next.map((m) => m.id) });
    return report;
  }
}

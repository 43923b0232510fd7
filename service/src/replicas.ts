import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { EvidenceSharing, HealthRecorder } from './app/health-recorder.js';
import { resolveThresholds } from './domain/health/index.js';
import type { ModelRegistry } from './domain/model-registry.js';
import type { PostgresStore } from './store/postgres/postgres-store.js';
import { pruneShared } from './store/postgres/housekeeping.js';
import { ProbeLeases } from './store/postgres/probe-leases.js';
import { SampleFeed } from './store/postgres/sample-feed.js';
import type { Logger } from './telemetry/logger.js';

/**
 * What makes several replicas on one PostgreSQL act as one service: probe leases (one prober per
 * model, spread over the live replicas) and the shared sample feed (one body of evidence).
 */
export interface Replicas extends EvidenceSharing {
  replicaId: string;
  mayProbe(modelId: string): boolean;
  /** Starts heartbeats and listening; `onShared` gets every sample another replica observed. */
  start(health: HealthRecorder, onProbeElsewhere: (modelId: string, at: number) => void): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Lease timing from the probe intervals: a lease lapses after half the shortest interval and is
 * renewed four times per lapse, so a dead replica's models are probed again within one interval.
 */
export function leaseTiming(registry: ModelRegistry): { ttlMs: number; everyMs: number } {
  const shortest = Math.min(...registry.all().map((m) => Math.min(m.probe.intervalMs, m.probe.unhealthyIntervalMs)));
  const ttlMs = Math.min(Math.max(shortest / 2, 500), 15_000);
  return { ttlMs, everyMs: ttlMs / 4 };
}

const PRUNE_EVERY_MS = 30_000;

export function createReplicas(opts: {
  store: PostgresStore;
  url: string;
  registry: ModelRegistry;
  logger: Logger;
  isProbing: (modelId: string) => boolean;
}): Replicas {
  const { store, url, registry, logger } = opts;
  const replicaId = `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  const leases = new ProbeLeases(store.pool, {
    replicaId,
    models: () => registry.ids(),
    ...leaseTiming(registry),
    busy: opts.isProbing,
    onError: (err) => logger.warn({ event: 'lease_round_failed', err: err.message }, 'probe leases not renewed'),
  });
  const catchUpMs = Math.max(...registry.all().map((m) => resolveThresholds(m.health).windowMs));
  let feed: SampleFeed | null = null;
  let pruning: NodeJS.Timeout | null = null;
  const prune = () =>
    pruneShared(store.pool, catchUpMs * 2).catch((err: unknown) =>
      logger.warn({ event: 'prune_failed', err: (err as Error).message }, 'could not prune shared health samples'),
    );
  return {
    replicaId,
    mayProbe: (modelId) => leases.holds(modelId),
    recordsTransitionsOf: (modelId) => leases.holds(modelId),
    publish: (modelId, sample) => feed?.publish(modelId, sample) ?? Promise.resolve(),
    async start(health, onProbeElsewhere) {
      feed = new SampleFeed(store.pool, {
        url,
        replicaId,
        catchUpMs,
        onSample: ({ modelId, sample }) => {
          if (!registry.has(modelId)) return; // a model another replica's config has and this one's not
          health.recordShared(modelId, sample);
          if (sample.source === 'probe') onProbeElsewhere(modelId, sample.at);
        },
        onConnected: (up, reason) =>
          logger[up ? 'info' : 'warn']({ event: 'sample_feed', connected: up, reason }, 'shared health samples'),
      });
      leases.start();
      await feed.start();
      // About once a minute per replica, at a random phase so replicas do not prune together.
      pruning = setInterval(() => void prune(), PRUNE_EVERY_MS + Math.floor(Math.random() * PRUNE_EVERY_MS));
      pruning.unref();
      logger.info({ event: 'replica', replicaId }, 'sharing probes and health with the other replicas');
    },
    async stop() {
      if (pruning) clearInterval(pruning);
      await leases.stop();
      await feed?.stop();
    },
  };
}

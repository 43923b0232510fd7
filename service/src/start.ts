import type { Server } from 'node:http';
import type { Express } from 'express';
import { trace, type Tracer } from '@opentelemetry/api';
import type { Registry } from 'prom-client';
import { AgentClient } from './agent/agent-client.js';
import { HealthRecorder } from './app/health-recorder.js';
import { InterviewStarter } from './app/interview-starter.js';
import { ProbeRunner } from './app/probe-runner.js';
import { buildModelRegistry } from './config/build-model-registry.js';
import type { ConfigFile } from './config/schema.js';
import { HealthEngine } from './domain/health/index.js';
import { createApp } from './http/app.js';
import { rejectMalformedRequest } from './http/client-error.js';
import { ProbeScheduler } from './scheduler/probe-scheduler.js';
import type { Store } from './store/records.js';
import { SqliteStore } from './store/sqlite-store.js';
import type { Logger } from './telemetry/logger.js';
import { createRegistry, ServiceMetrics } from './telemetry/metrics.js';

export interface ServiceOptions {
  config: ConfigFile;
  agentUrl: string;
  dataDir: string;
  logger: Logger;
  apiToken?: string | undefined;
  tracer?: Tracer;
  metricsRegistry?: Registry;
  store?: Store;
  clock?: () => number;
  random?: () => number;
}

export interface RunningService {
  server: Server;
  port: number;
  scheduler: ProbeScheduler;
  store: Store;
  metricsRegistry: Registry;
  /** Stops taking work, lets in-flight requests finish (up to graceMs), then closes the store. */
  stop(graceMs?: number): Promise<void>;
}

/** Every part of the service, built and wired; nothing listens or runs yet. */
function buildParts(opts: ServiceOptions) {
  const clock = opts.clock ?? Date.now;
  const registry = buildModelRegistry(opts.config);
  const engine = new HealthEngine(clock);
  for (const m of registry.all()) engine.register(m.id, m.health, m.probe.intervalMs);
  const metricsRegistry = opts.metricsRegistry ?? createRegistry();
  const metrics = new ServiceMetrics(metricsRegistry, registry.all());
  const store =
    opts.store ??
    SqliteStore.openInDir(opts.dataDir, { synchronous: opts.config.store.synchronous === 'full' ? 'FULL' : 'NORMAL' });
  const tracer = opts.tracer ?? trace.getTracer('modelwatch-service');
  const logger = opts.logger;
  const agent = new AgentClient(opts.agentUrl, (up) => metrics.setAgentUp(up));
  const health = new HealthRecorder(engine, store, metrics, logger, clock);
  health.restoreAll();
  const probes = new ProbeRunner({ registry, agent, health, metrics, tracer, logger, clock });
  const scheduler = new ProbeScheduler({
    registry,
    engine,
    probes,
    health,
    logger,
    clock,
    random: opts.random ?? Math.random,
  });
  const { interviews } = opts.config;
  const starter = new InterviewStarter({
    registry,
    engine,
    agent,
    health,
    store,
    metrics,
    tracer,
    logger,
    clock,
    settings: {
      deadlineMs: interviews.deadlineSeconds * 1000,
      attemptTimeoutMs: interviews.attemptTimeoutSeconds * 1000,
      maxTokens: interviews.maxTokens,
    },
  });
  return { clock, registry, engine, metricsRegistry, store, tracer, logger, agent, probes, scheduler, starter, health };
}

function listen(app: Express, at: { port: number; host: string }): Promise<Server> {
  return new Promise<Server>((resolve, reject) => {
    const server = app.listen(at.port, at.host, (err?: Error) => (err ? reject(err) : resolve(server)));
    server.keepAliveTimeout = 65_000;
    server.on('clientError', rejectMalformedRequest);
  });
}

/**
 * Stops taking connections, closes them as they go idle, waits (up to graceMs) for in-flight
 * starts and probes, and only then closes the store, so a start whose client left is still recorded.
 */
async function drainAndClose(server: Server, parts: ReturnType<typeof buildParts>, graceMs: number): Promise<void> {
  await parts.scheduler.stop();
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // Connections busy now turn idle (keep-alive) when their response ends: keep closing them.
  const sweep = setInterval(() => server.closeIdleConnections(), 50);
  server.closeIdleConnections();
  let forceTimer: NodeJS.Timeout | undefined;
  const forced = new Promise<void>((resolve) => {
    forceTimer = setTimeout(() => {
      server.closeAllConnections();
      resolve();
    }, graceMs);
  });
  await Promise.race([closed, forced]);
  clearInterval(sweep);
  clearTimeout(forceTimer);
  await Promise.all([parts.starter.drain(graceMs), parts.probes.drain(graceMs)]);
  parts.health.save(true);
  parts.store.close();
}

/** The composition root: builds every part, wires them, and listens. */
export async function startService(
  opts: ServiceOptions,
  at: { port: number; host: string },
  scheduleProbes = true,
): Promise<RunningService> {
  const parts = buildParts(opts);
  const { registry, engine, probes, starter, store, agent, metricsRegistry, tracer, logger, clock, scheduler } = parts;
  const { api } = opts.config;
  let draining = false;
  const app = createApp({
    registry,
    engine,
    probes,
    starter,
    store,
    agent,
    metricsRegistry,
    tracer,
    logger,
    clock,
    nextProbeAt: (id) => scheduler.nextProbeAt(id),
    isDraining: () => draining,
    api: { token: opts.apiToken, protectReads: api.protectReads, bodyLimitBytes: api.bodyLimitBytes },
  });
  const server = await listen(app, at);
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : at.port;
  if (scheduleProbes) scheduler.start();
  void agent
    .checkReady()
    .then((r) => logger.info({ event: 'agent_check', ready: r.ready, reason: r.reason }, 'agent checked'));
  logger.info(
    { event: 'started', port, models: registry.ids(), agentUrl: opts.agentUrl },
    `modelwatch service listening on ${at.host}:${port}`,
  );
  const stop = (graceMs = 10_000): Promise<void> => {
    draining = true;
    return drainAndClose(server, parts, graceMs);
  };
  return { server, port, scheduler, store, metricsRegistry, stop };
}

import { createServer, type RequestListener, type Server } from 'node:http';
import { trace, type Tracer } from '@opentelemetry/api';
import type { Registry } from 'prom-client';
import { AgentClient } from './agent/agent-client.js';
import { AgentLiveness } from './agent/agent-liveness.js';
import type { ReloadReport } from './app/config-reload.js';
import { HealthRecorder } from './app/health-recorder.js';
import { InterviewStarter } from './app/interview-starter.js';
import { interviewSettings } from './app/interview-settings.js';
import { ProbeRunner } from './app/probe-runner.js';
import { SimulationCatalog } from './app/simulation-catalog.js';
import { HandoffGate } from './app/handoff-gate.js';
import { StartAdmission } from './app/start-admission.js';
import { buildModelRegistry } from './config/build-model-registry.js';
import type { ConfigFile } from './config/schema.js';
import type { StoreChoice } from './config/store-choice.js';
import { HealthEngine, type HealthReader } from './domain/health/index.js';
import { createRequestListener } from './http/app.js';
import { rejectMalformedRequest } from './http/client-error.js';
import { openStoreParts } from './open-store.js';
import { ProbeScheduler } from './scheduler/probe-scheduler.js';
import { ProbeScheduleMetrics } from './telemetry/probe-schedule-metrics.js';
import { buildControl, controlContext, sampleHistory, type ControlOptions } from './start-control.js';
import { admissionMetrics } from './telemetry/admission-metrics.js';
import type { Logger } from './telemetry/logger.js';
import { createRegistry, ServiceMetrics } from './telemetry/metrics.js';
import { registerStorageHealth } from './telemetry/storage-metrics.js';

export interface ServiceOptions extends ControlOptions {
  config: ConfigFile;
  agentUrl: string;
  /** The shared secret the agent requires on every call. */
  agentToken: string;
  dataDir: string;
  /** Defaults to SQLite in dataDir. */
  storeChoice?: StoreChoice;
  logger: Logger;
  apiToken?: string | undefined;
  tracer?: Tracer;
  metricsRegistry?: Registry;
}

export interface RunningService {
  port: number;
  /** Re-reads the config file (SIGHUP); throws ConfigError and changes nothing when it is invalid. */
  reload(): ReloadReport;
  /** Stops taking work, lets in-flight requests finish (up to graceMs), then closes the store. */
  stop(graceMs?: number): Promise<void>;
}

async function buildParts(opts: ServiceOptions) {
  const clock = Date.now;
  const registry = buildModelRegistry(opts.config);
  const engine = new HealthEngine(clock);
  for (const m of registry.all()) engine.register(m.id, m.health, m.probe.intervalMs);
  // Everything but the recorder gets the engine as a reader: only the recorder adds samples.
  const healthReader: HealthReader = engine;
  const metricsRegistry = opts.metricsRegistry ?? createRegistry();
  const metrics = new ServiceMetrics(metricsRegistry, registry.all());
  let probing: ProbeRunner | null = null;
  const { store, replicas } = await openStoreParts(opts, registry, (id) => !!probing?.isProbing(id));
  registerStorageHealth(metricsRegistry, () => store.status());
  const tracer = opts.tracer ?? trace.getTracer('modelwatch-service');
  const logger = opts.logger;
  const settings = interviewSettings(opts.config.interviews);
  const handoffs = new HandoffGate(settings.handoff, clock);
  const agent = new AgentClient(opts.agentUrl, opts.agentToken, {
    onReachability: (up) => metrics.setAgentUp(up),
    handoff: () => handoffs.begin(),
  });
  const { checkIntervalSeconds, checkTimeoutSeconds } = opts.config.agent;
  const liveness = new AgentLiveness(
    agent,
    { intervalMs: checkIntervalSeconds * 1000, timeoutMs: checkTimeoutSeconds * 1000 },
    logger,
  );
  const core = { registry, engine, metrics, metricsRegistry, logger, clock };
  const controlParts = buildControl(opts, core);
  const { events, drains } = controlParts;
  const recorder = new HealthRecorder(engine, store, metrics, logger, events, clock, replicas);
  await recorder.restoreAll();
  const scheduleMetrics = new ProbeScheduleMetrics(metricsRegistry);
  const probes = new ProbeRunner({ registry, agent, recorder, metrics, scheduleMetrics, tracer, logger, clock });
  probing = probes;
  const scheduler = new ProbeScheduler({
    mayProbe: replicas ? (id) => replicas.mayProbe(id) : undefined,
    registry,
    healthReader,
    probes,
    recorder,
    logger,
    clock,
    random: Math.random,
    scheduleMetrics,
    maxConcurrent: opts.config.probes.maxConcurrent,
  });
  const admitted = admissionMetrics(metricsRegistry);
  const admission = new StartAdmission(settings.admission, admitted.refused, handoffs);
  admitted.readInFlight(() => admission.inFlight());
  const starter = new InterviewStarter({
    registry,
    healthReader,
    agent,
    recorder,
    store,
    metrics,
    tracer,
    logger,
    clock,
    settings: settings.starter,
    isDrained: (id) => drains.isDrained(id),
    events,
    admission,
    onRefused: admitted.refused,
  });
  controlParts.reloader?.onApplied((report, config) => {
    scheduler.syncModels(report);
    const next = interviewSettings(config.interviews);
    handoffs.configure(next.handoff);
    admission.configure(next.admission);
    starter.configure(next.starter);
  });
  return {
    clock,
    registry,
    healthReader,
    metricsRegistry,
    store,
    replicas,
    recorder,
    tracer,
    logger,
    agent,
    liveness,
    probes,
    scheduler,
    starter,
    core,
    ...controlParts,
  };
}

function listen(listener: RequestListener, at: { port: number; host: string }): Promise<Server> {
  return new Promise<Server>((resolve, reject) => {
    const server = createServer(listener);
    server.once('error', reject);
    server.listen(at.port, at.host, () => {
      server.off('error', reject);
      resolve(server);
    });
    server.keepAliveTimeout = 65_000;
    server.on('clientError', rejectMalformedRequest);
  });
}

/**
 * Stops taking connections, closes them as they go idle, waits (up to graceMs) for in-flight
 * starts and probes, and only then closes the store, so a start whose client left is still recorded.
 */
async function drainAndClose(
  server: Server,
  parts: Awaited<ReturnType<typeof buildParts>>,
  graceMs: number,
): Promise<void> {
  await Promise.all([parts.scheduler.stop(), parts.liveness.stop()]);
  // Event-stream connections never go idle: end them, or closing would wait out the grace period.
  parts.events.closeAll();
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
  await parts.recorder.save(true);
  await parts.replicas?.stop();
  await parts.store.close();
  parts.control.close();
}

/** The composition root: builds every part, wires them, and listens. */
export async function startService(
  opts: ServiceOptions,
  at: { port: number; host: string },
  scheduleProbes = true,
): Promise<RunningService> {
  const parts = await buildParts(opts);
  const { registry, healthReader, probes, starter, store, agent, metricsRegistry, tracer, logger, clock, scheduler } =
    parts;
  const { api } = opts.config;
  let draining = false;
  const app = createRequestListener({
    registry,
    healthReader,
    probes,
    starter,
    store,
    simulations: new SimulationCatalog(store, registry, clock),
    agent,
    metricsRegistry,
    tracer,
    logger,
    clock,
    nextProbeAt: (id) => scheduler.nextProbeAt(id),
    isDraining: () => draining,
    api: { token: opts.apiToken, protectReads: api.protectReads, bodyLimitBytes: api.bodyLimitBytes },
    ...controlContext(parts, opts),
  });
  const server = await listen(app, at);
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : at.port;
  if (scheduleProbes) scheduler.start();
  // After the scheduler, so probes read back from the table set each model's next due time.
  await parts.replicas?.start(parts.recorder, (id, at) => scheduler.probedElsewhere(id, at));
  const stopSampling = sampleHistory(parts, parts.core, opts);
  // The first check is logged (agent_liveness), then every change of its verdict.
  parts.liveness.start();
  logger.info(
    { event: 'started', port, models: registry.ids(), agentUrl: opts.agentUrl },
    `modelwatch service listening on ${at.host}:${port}`,
  );
  const stop = (graceMs = 10_000): Promise<void> => {
    draining = true;
    stopSampling();
    return drainAndClose(server, parts, graceMs);
  };
  const reload = (): ReloadReport => {
    if (!parts.reloader) throw new Error('this service was not started from a config file');
    return parts.reloader.reload();
  };
  return { port, reload, stop };
}

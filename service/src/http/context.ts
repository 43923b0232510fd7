import type { Tracer } from '@opentelemetry/api';
import type { Registry } from 'prom-client';
import type { AgentClient } from '../agent/agent-client.js';
import type { HealthReader } from '../domain/health/index.js';
import type { ModelRegistry } from '../domain/model-registry.js';
import type { InterviewStarter } from '../app/interview-starter.js';
import type { ProbeRunner } from '../app/probe-runner.js';
import type { SimulationCatalog } from '../app/simulation-catalog.js';
import type { ReloadReport } from '../app/config-reload.js';
import type { EventHub } from '../app/event-hub.js';
import type { LatencyHistory } from '../app/latency-history.js';
import type { ModelDrains } from '../app/model-drains.js';
import type { SseLimits } from './event-stream/sse-client.js';
import type { AsyncStore } from '../store/async-store.js';
import type { Logger } from '../telemetry/logger.js';

/** What the routes need, handed in by the composition root. */
export interface ApiContext {
  registry: ModelRegistry;
  healthReader: HealthReader;
  probes: ProbeRunner;
  nextProbeAt: (modelId: string) => number | null;
  starter: InterviewStarter;
  store: AsyncStore;
  simulations: SimulationCatalog;
  agent: AgentClient;
  metricsRegistry: Registry;
  tracer: Tracer;
  logger: Logger;
  clock: () => number;
  isDraining: () => boolean;
  api: { token: string | undefined; protectReads: boolean; bodyLimitBytes: number };
  events: EventHub;
  stream: { limits: SseLimits; onConnect(delta: 1 | -1): void; onDrop(): void };
  drains: ModelDrains;
  /** Sampled latency percentiles, for the status page's chart. */
  history: LatencyHistory;
  /** Re-reads the config file; null when the service was not started from one. */
  reload: (() => ReloadReport) | null;
}

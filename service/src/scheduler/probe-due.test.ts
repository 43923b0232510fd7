import { trace } from '@opentelemetry/api';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentClient } from '../agent/agent-client.js';
import { HealthRecorder } from '../app/health-recorder.js';
import { ProbeRunner } from '../app/probe-runner.js';
import { buildModelRegistry } from '../config/build-model-registry.js';
import { parseConfigText } from '../config/load.js';
import { HealthEngine } from '../domain/health/index.js';
import { SyncStoreAdapter } from '../store/async-store.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { createLogger } from '../telemetry/logger.js';
import { createRegistry, ServiceMetrics } from '../telemetry/metrics.js';
import { ProbeScheduleMetrics } from '../telemetry/probe-schedule-metrics.js';
import { ProbeScheduler } from './probe-scheduler.js';

const MODEL = 'openai:gpt-4o';
const CONFIG = `
providers: { openai: { kind: openai, baseUrl: "http://127.0.0.1:9/v1", apiKeyEnv: OPENAI_API_KEY } }
models: [{ id: "${MODEL}" }]
probes: { intervalSeconds: 10, unhealthyIntervalSeconds: 5, jitterSeconds: 1 }
`;
const T0 = 1_800_000_000_000;
let stop: (() => Promise<void>) | null = null;
afterEach(async () => stop?.());

/** A started scheduler on real parts; the clock stands still at T0, so no probe ever comes due. */
function scheduler(draw: number) {
  const clock = () => T0;
  const registry = buildModelRegistry(parseConfigText('test.yaml', CONFIG, {}));
  const engine = new HealthEngine(clock);
  for (const m of registry.all()) engine.register(m.id, m.health, m.probe.intervalMs);
  const logger = createLogger('silent', new Writable({ write: (_c, _e, done) => done() }));
  const metricsRegistry = createRegistry(false);
  const metrics = new ServiceMetrics(metricsRegistry, registry.all());
  const store = new SyncStoreAdapter(SqliteStore.openInDir(mkdtempSync(join(tmpdir(), 'modelwatch-due-'))));
  const recorder = new HealthRecorder(engine, store, metrics, logger, undefined, clock);
  const scheduleMetrics = new ProbeScheduleMetrics(metricsRegistry);
  const agent = new AgentClient('http://127.0.0.1:9', 'unused');
  const tracer = trace.getTracer('test');
  const probes = new ProbeRunner({ registry, agent, recorder, metrics, scheduleMetrics, tracer, logger, clock });
  const s = new ProbeScheduler({
    ...{ registry, healthReader: engine, probes, recorder, logger, clock, scheduleMetrics },
    random: () => draw,
    maxConcurrent: 10,
  });
  s.start();
  stop = () => s.stop();
  return { s, recorder };
}

describe('when the next probe is due', () => {
  it('when a healthy model was probed, then the next probe is due after the interval plus the jitter drawn', () => {
    const { s } = scheduler(0.5);
    s.probedElsewhere(MODEL, T0);
    expect(s.nextProbeAt(MODEL)).toBe(T0 + 10_000 + 500);
  });

  it('when the model turns unhealthy after its next probe was planned, then the shorter interval wins, without jitter', () => {
    const { s, recorder } = scheduler(0.5);
    s.probedElsewhere(MODEL, T0);
    for (let i = 0; i < 3; i++)
      recorder.recordSample(MODEL, { at: T0, source: 'probe', outcome: 'server_error', latencyMs: 5, ttftMs: null });
    expect(s.nextProbeAt(MODEL)).toBe(T0 + 5_000);
  });
});

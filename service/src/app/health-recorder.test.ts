import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { buildModelRegistry } from '../config/build-model-registry.js';
import { parseConfigText } from '../config/load.js';
import { HealthEngine, type Sample } from '../domain/health/index.js';
import { SyncStoreAdapter } from '../store/async-store.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { createLogger } from '../telemetry/logger.js';
import { createRegistry, ServiceMetrics } from '../telemetry/metrics.js';
import { HealthRecorder } from './health-recorder.js';

const MODEL = 'openai:gpt-4o';
const CONFIG = `
providers: { openai: { kind: openai, baseUrl: "http://127.0.0.1:9/v1", apiKeyEnv: OPENAI_API_KEY } }
models: [{ id: "${MODEL}" }]
`;

/** A recorder on real parts, logging JSON lines into `lines`. */
function recorder(clock: () => number) {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const registry = buildModelRegistry(parseConfigText('test.yaml', CONFIG, {}));
  const engine = new HealthEngine(clock);
  for (const m of registry.all()) engine.register(m.id, m.health, m.probe.intervalMs);
  const promRegistry = createRegistry(false);
  const metrics = new ServiceMetrics(promRegistry, registry.all());
  const health = new HealthRecorder(
    engine,
    new SyncStoreAdapter(SqliteStore.openInDir(mkdtempSync(join(tmpdir(), 'modelwatch-recorder-')))),
    metrics,
    createLogger('info', sink),
  );
  const gauge = async (name: string, labels: string): Promise<string | undefined> =>
    (await promRegistry.metrics())
      .split('\n')
      .find((l) => l.startsWith(`${name}{${labels}}`))
      ?.split(' ')[1];
  return { health, lines, gauge, engine };
}

const sample = (at: number, outcome: Sample['outcome']): Sample => ({
  at,
  source: 'probe',
  outcome,
  latencyMs: 100,
  ttftMs: 50,
});

describe('health transition log lines', () => {
  it('when a model turns unhealthy, then it is logged at warn; when it recovers, at info', () => {
    let now = 1_000_000;
    const { health, lines } = recorder(() => now);
    const record = (outcome: Sample['outcome']) => {
      now += 1000;
      health.recordSample(MODEL, sample(now, outcome));
    };
    record('success'); // unknown -> healthy
    for (let i = 0; i < 3; i++) record('server_error'); // -> unhealthy
    for (let i = 0; i < 2; i++) record('success'); // recovery streak -> healthy
    const transitions = lines
      .filter((l) => l.event === 'health_transition')
      .map((l) => [l.from, l.to, l.level] as const);
    expect(transitions).toEqual([
      ['unknown', 'healthy', 'info'],
      ['healthy', 'unhealthy', 'warn'],
      ['unhealthy', 'healthy', 'info'],
    ]);
  });
});

describe('health gauges on ticks', () => {
  it('when ticks only pass time, then the gauges follow what the ticks change: staleness, expiry at the window edge', async () => {
    let now = 1_000_000;
    const { health, gauge, engine } = recorder(() => now);
    const state = (s: string) => gauge('modelwatch_model_health_state', `model="${MODEL}",state="${s}"`);
    const errorRatio = () => gauge('modelwatch_model_error_ratio', `model="${MODEL}"`);
    for (let i = 0; i < 19; i++) health.recordSample(MODEL, sample((now += 1000), 'success'));
    health.recordSample(MODEL, sample((now += 1000), 'server_error'));
    expect(await errorRatio()).toBe('0.05');
    expect(await state('healthy')).toBe('1');
    const tickFor = (seconds: number) => {
      for (let i = 0; i < seconds; i++) {
        now += 1000;
        health.tick();
      }
    };
    tickFor(20); // nothing changes: the ticks keep the snapshot, the gauges stay
    expect(await errorRatio()).toBe('0.05');
    tickFor(10); // 30 s without a sample: stale
    expect(await state('unknown')).toBe('1');
    expect(await state('healthy')).toBe('0');
    tickFor(251); // the oldest sample, a success, leaves the 300-s window
    expect(engine.snapshot(MODEL).samples.total).toBe(19);
    expect(await errorRatio()).toBe(String(1 / 19));
  });
});

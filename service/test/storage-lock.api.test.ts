import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import type { InterviewRecord } from '../src/store/records.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import { json } from './support/http.js';
import {
  type InProcess,
  PYTHON,
  setSimModel,
  startInProcess,
  testConfigText,
  useSimulatorAndAgent,
} from './support/stack.js';
import { waitFor } from './support/wait-for.js';

// An operator's sqlite3 shell (here: a second process with its own real connection) holds the
// write lock with BEGIN IMMEDIATE. The service must keep answering without waiting on it, refuse
// what it cannot record with a retryable 503, and write what it deferred once the lock is gone.
const { sim, agent } = useSimulatorAndAgent();
const GPT4O = 'openai:gpt-4o';
let running: InProcess | undefined;
let holder: ChildProcess | undefined;

afterEach(async () => {
  holder?.kill();
  await running?.service.stop(1000);
  running = undefined;
});

/** A second process that takes the write lock and keeps it until its stdin closes. */
async function holdWriteLock(file: string): Promise<ChildProcess> {
  const script = [
    'import sqlite3, sys',
    'c = sqlite3.connect(sys.argv[1], isolation_level=None)',
    "c.execute('BEGIN IMMEDIATE')",
    "print('locked', flush=True)",
    'sys.stdin.read()',
    "c.execute('ROLLBACK')",
  ].join('\n');
  const child = spawn(PYTHON, ['-c', script, file], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  await waitFor('the second connection to hold the lock', () => out.includes('locked'));
  return child;
}

const providerCalls = async (): Promise<number> => {
  const stats = (await json(`${sim().url}/admin/stats`)).body as { models: Record<string, { total: number }> };
  return Object.values(stats.models).reduce((n, m) => n + m.total, 0);
};

describe('when another connection holds the SQLite write lock', () => {
  it('when a start, probes and a simulation write arrive, then none waits on the lock, starts get 503 storage_busy, and the transition is written once the lock is released', async () => {
    const svc = await startInProcess({ agentUrl: agent().url, configText: testConfigText(sim().port) });
    running = svc;
    holder = await holdWriteLock(join(svc.dataDir, 'modelwatch.db'));
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();

    const before = await providerCalls();
    const start = await json(`${svc.url}/v1/interviews`, { method: 'POST', body: { primary: GPT4O } });
    expect(start.status).toBe(503);
    expect(start.body.error.code).toBe('storage_busy');
    expect(start.body.error.details.retryable).toBe(true);
    expect(Number(start.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await providerCalls()).toBe(before);

    // Three failed probes make a transition to unhealthy while the lock is held.
    await setSimModel(sim(), 'gpt-4o', { errorRate: 1, status: 500 });
    for (let i = 0; i < 3; i++) await json(`${svc.url}/v1/probes`, { method: 'POST', body: { models: [GPT4O] } });
    expect((await json(`${svc.url}/v1/health/${GPT4O}`)).body.state).toBe('unhealthy');

    const put = await json(`${svc.url}/v1/simulations/sim-lock`, { method: 'PUT', body: { primary: GPT4O } });
    expect(put.status).toBe(503);
    expect(put.body.error.code).toBe('storage_busy');

    expect((await json(`${svc.url}/healthz`)).status).toBe(200);
    const ready = await json(`${svc.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(ready.body.checks.storage.code).toBe('storage_busy');
    expect(await (await fetch(`${svc.url}/metrics`)).text()).toContain('modelwatch_storage_healthy{reason="busy"} 0');
    loop.disable();
    // The old code blocked the whole process for the 5 s busy timeout on every write.
    expect(loop.max / 1e6).toBeLessThan(1_000);

    holder.stdin?.end();
    const history = await waitFor('the deferred transition to be written', async () => {
      const h = await json(`${svc.url}/v1/health/${GPT4O}/history`);
      return (h.body.transitions as Array<{ to: string }>).some((t) => t.to === 'unhealthy') && h.body;
    });
    expect(history.transitions[0]).toMatchObject({ modelId: GPT4O, to: 'unhealthy' });
    expect((await json(`${svc.url}/readyz`)).status).toBe(200);
    const put2 = await json(`${svc.url}/v1/simulations/sim-lock`, { method: 'PUT', body: { primary: GPT4O } });
    expect(put2.status).toBe(201);
  });

  it('when the lock is released while an interview write is retrying, then the write goes through and is answered', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'modelwatch-lock-store-'));
    const store = SqliteStore.openInDir(dir);
    holder = await holdWriteLock(join(dir, 'modelwatch.db'));
    const record: InterviewRecord = {
      interviewId: 'iv_retry',
      at: new Date(0).toISOString(),
      simulationId: null,
      requestedModel: GPT4O,
      model: GPT4O,
      usedFallback: false,
      fallback: null,
      primaryTriedAnyway: false,
      attempts: [],
      openingLine: 'Hello',
      usage: null,
      latencyMs: 1,
      traceId: null,
    };
    let settled = false;
    const written = store.recordInterview(record, null, null).finally(() => (settled = true));
    // The write met the lock and is waiting on a timer, not on the event loop.
    await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false);
    holder.stdin?.end();
    expect(await written).toBe(true);
    expect(store.getInterview('iv_retry')?.openingLine).toBe('Hello');
    store.close();
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { json } from './support/http.js';
import { type InProcess, startInProcess, testConfigText, useSimulatorAndAgent } from './support/stack.js';
import { waitFor } from './support/wait-for.js';
import { LoopFs, loopFsUnavailable } from './loop-fs.js';
import type { InterviewRecord } from '../src/store/records.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import { StorageError } from '../src/store/storage-errors.js';

// Storage faults while the service runs must be seen before a provider is paid: /readyz turns 503
// naming the cause, and a start answers 503 storage_unavailable without calling any model.
const { sim, agent } = useSimulatorAndAgent();
const noLoopFs = loopFsUnavailable();
const START = { primary: 'openai:gpt-4o', config: { role: 'SRE' } };

let running: InProcess | undefined;
let fs: LoopFs | undefined;
afterEach(async () => {
  await running?.service.stop(1000);
  fs?.destroy();
  running = undefined;
  fs = undefined;
});

const providerCalls = async (): Promise<number> => {
  const stats = (await json(`${sim().url}/admin/stats`)).body as { models: Record<string, { total: number }> };
  return Object.values(stats.models).reduce((n, m) => n + m.total, 0);
};

/** The storage health series of a Prometheus scrape, e.g. `modelwatch_storage_healthy{reason="ok"} 1`. */
const storageHealthSeries = async (svc: InProcess): Promise<string[]> =>
  (await (await fetch(`${svc.url}/metrics`)).text())
    .split('\n')
    .filter((line) => line.startsWith('modelwatch_storage_healthy{'));

async function startOn(dataDir: string): Promise<InProcess> {
  running = await startInProcess({ agentUrl: agent().url, configText: testConfigText(sim().port), dataDir });
  const first = await json(`${running.url}/v1/interviews`, { method: 'POST', body: START });
  expect(first.status).toBe(201);
  expect(await storageHealthSeries(running)).toEqual(['modelwatch_storage_healthy{reason="ok"} 1']);
  return running;
}

/** The fault is visible at /readyz and /metrics (as `state`), and a start is refused before any provider call. */
async function expectRefusedBeforeSpending(svc: InProcess, cause: RegExp, state: string): Promise<void> {
  const ready = await waitFor('/readyz to report the store', async () => {
    const r = await json(`${svc.url}/readyz`);
    return r.status === 503 && r;
  });
  expect(ready.body.checks.storage).toMatchObject({ ok: false, code: 'storage_unavailable' });
  expect(ready.body.reason).toMatch(cause);
  // What an alert sees (prometheus/rules: StorageUnhealthy): one series, 0, with the cause's class.
  expect(await storageHealthSeries(svc)).toEqual([`modelwatch_storage_healthy{reason="${state}"} 0`]);
  const before = await providerCalls();
  const start = await json(`${svc.url}/v1/interviews`, { method: 'POST', body: START });
  expect(start.status).toBe(503);
  expect(start.body.error.code).toBe('storage_unavailable');
  expect(start.body.error.details.retryable).toBe(true);
  expect(start.body.error.message).toMatch(cause);
  expect(Number(start.headers.get('retry-after'))).toBeGreaterThan(0);
  expect(await providerCalls()).toBe(before);
}

describe('when storage fails while the service runs', () => {
  it.skipIf(noLoopFs)(
    'when the data disk is full, then /readyz is 503 and a start is refused before any provider call',
    async () => {
      fs = LoopFs.create();
      const svc = await startOn(fs.dir);
      fs.fill();
      await expectRefusedBeforeSpending(svc, /free/, 'disk_full');
    },
  );

  it.skipIf(noLoopFs)(
    'when the data file system turns read-only, then /readyz is 503 and a start is refused before any provider call',
    async () => {
      fs = LoopFs.create();
      const svc = await startOn(fs.dir);
      fs.failToReadOnly();
      await expectRefusedBeforeSpending(svc, /read-only/, 'read_only');
    },
  );

  it('when the database file is deleted while running, then /readyz is 503 and a start is refused before any provider call', async () => {
    const svc = await startOn(mkdtempSync(join(tmpdir(), 'modelwatch-deleted-')));
    for (const suffix of ['', '-wal', '-shm']) rmSync(join(svc.dataDir, `modelwatch.db${suffix}`), { force: true });
    await expectRefusedBeforeSpending(svc, /deleted/, 'file_deleted');
  });
});

describe('when the disk fills between the check and the write', () => {
  it.skipIf(noLoopFs)(
    'when an interview write meets a full disk, then it fails as storage_unavailable naming the disk, and works again once there is room',
    async () => {
      fs = LoopFs.create();
      const store = SqliteStore.openInDir(fs.dir);
      const record = (id: string): InterviewRecord => ({
        interviewId: id,
        at: new Date(0).toISOString(),
        simulationId: null,
        requestedModel: 'openai:gpt-4o',
        model: 'openai:gpt-4o',
        usedFallback: false,
        fallback: null,
        primaryTriedAnyway: false,
        attempts: [],
        openingLine: 'y'.repeat(400_000),
        usage: null,
        latencyMs: 1,
        traceId: null,
      });
      fs.fill();
      const failed = await store.recordInterview(record('iv_full'), null, null).catch((err: unknown) => err);
      expect(failed).toBeInstanceOf(StorageError);
      expect(failed).toMatchObject({ code: 'storage_unavailable', message: expect.stringMatching(/full/) });
      rmSync(join(fs.dir, 'filler'));
      expect(await store.recordInterview(record('iv_room'), null, null)).toBe(true);
      store.close();
    },
  );
});

if (noLoopFs) console.warn(`storage fault tests on a real file system skipped: ${noLoopFs}`);

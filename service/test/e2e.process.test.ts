import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json } from './support/http.js';
import type { LaunchedProcess } from './support/processes.js';
import {
  SERVICE_MAIN,
  setSimModel,
  startServiceProcess as startServiceWith,
  startSimulatorAndAgent,
  testConfigText,
} from './support/stack.js';
import { waitFor } from './support/wait-for.js';

// All three real processes, the service as `node dist/main.js` with its own scheduler.
const FAST = `
probes: { intervalSeconds: 1, unhealthyIntervalSeconds: 1, jitterSeconds: 0, timeoutSeconds: 3 }
health: { minSamples: 5, latencySloMs: 2000 }
`;

let sim: LaunchedProcess;
let agent: LaunchedProcess;
let dir: string;

async function startServiceProcess(configFile: string, dataDir: string): Promise<LaunchedProcess> {
  return startServiceWith({ env: { AGENT_URL: agent.url, CONFIG: configFile, DATA_DIR: dataDir } });
}
const health = async (svc: LaunchedProcess, id: string) => (await json(`${svc.url}/v1/health/${id}`)).body;
const waitState = (svc: LaunchedProcess, id: string, state: string, timeoutMs = 20_000) =>
  waitFor(`${id} to be ${state}`, async () => (await health(svc, id)).state === state, timeoutMs, 100);

beforeAll(async () => {
  if (!existsSync(SERVICE_MAIN)) throw new Error('service/dist/main.js is missing: run `make build` (make test does)');
  [sim, agent] = await startSimulatorAndAgent();
  dir = mkdtempSync(join(tmpdir(), 'modelwatch-e2e-'));
  writeFileSync(join(dir, 'config.yaml'), testConfigText(sim.port, FAST));
});
afterAll(async () => {
  await Promise.all([sim?.stop(), agent?.stop()]);
});

describe('end to end: simulator, agent and service as processes', () => {
  it('probes on schedule, falls back when the primary breaks, keeps events across a restart, and recovers on proof', async () => {
    const dataDir = join(dir, 'data');
    let svc = await startServiceProcess(join(dir, 'config.yaml'), dataDir);
    await waitFor('readiness', async () => (await json(`${svc.url}/readyz`)).status === 200);
    for (const id of ['openai:gpt-4o', 'openai:gpt-4o-mini', 'anthropic:claude-sonnet-4'])
      await waitState(svc, id, 'healthy');

    const healthy = await json(`${svc.url}/v1/interviews`, {
      method: 'POST',
      body: { simulationId: 'e2e', primary: 'openai:gpt-4o' },
    });
    expect(healthy.body).toMatchObject({ model: 'openai:gpt-4o', usedFallback: false });

    await setSimModel(sim, 'gpt-4o', { errorRate: 1, status: 500 });
    await waitState(svc, 'openai:gpt-4o', 'unhealthy');
    expect((await health(svc, 'openai:gpt-4o')).reason).toMatch(/3 consecutive failures/);
    const fellBack = await json(`${svc.url}/v1/interviews`, {
      method: 'POST',
      body: {
        simulationId: 'e2e',
        primary: 'openai:gpt-4o',
        fallbacks: ['anthropic:claude-sonnet-4', 'openai:gpt-4o-mini'],
      },
    });
    expect(fellBack.body).toMatchObject({
      model: 'anthropic:claude-sonnet-4',
      fallback: { reason: 'primary_unhealthy', source: 'caller' },
    });

    // SIGTERM: a clean stop; then the same data directory serves the same event.
    expect(await svc.stop('SIGTERM')).toBe(0);
    svc = await startServiceProcess(join(dir, 'config.yaml'), dataDir);
    const events = (await json(`${svc.url}/v1/fallbacks`)).body.events;
    expect(events.map((e: { id: string }) => e.id)).toEqual([fellBack.body.fallback.eventId]);

    // After the restart the model is still unhealthy (restored, no new trip), then recovers on two good probes.
    expect((await health(svc, 'openai:gpt-4o')).state).toBe('unhealthy');
    await json(`${sim.url}/admin/reset`, { method: 'POST' });
    await waitState(svc, 'openai:gpt-4o', 'healthy');
    const history = (await json(`${svc.url}/v1/health/openai:gpt-4o/history`)).body.transitions;
    expect(history.slice(0, 2).map((t: { from: string; to: string }) => `${t.from}->${t.to}`)).toEqual([
      'unhealthy->healthy',
      'healthy->unhealthy',
    ]);
    expect(history[0].reason).toMatch(/2\/2/);
    expect(await svc.stop('SIGTERM')).toBe(0);
    expect(svc.output()).toMatch(/"trace_id":"[0-9a-f]{32}"/);
  });

  it('when the config file is broken, then start-up stops with the file, every field and reason, and no stack trace', async () => {
    const bad = join(dir, 'broken.yaml');
    writeFileSync(
      bad,
      'providers:\n  openai: { kind: openia, baseUrl: "x", apiKeyEnv: OPENAI_API_KEY }\nmodels:\n  - id: nope\n',
    );
    const child = await startServiceWith({ env: { CONFIG: bad, DATA_DIR: join(dir, 'bad') } }).catch((e: Error) => e);
    expect(child).toBeInstanceOf(Error);
    const message = (child as Error).message;
    expect(message).toContain('exited 2');
    expect(message).toContain(`invalid configuration ${bad}`);
    expect(message).toContain('providers.openai.kind: Invalid option');
    expect(message).toContain('providers.openai.baseUrl: must be an http(s) URL');
    expect(message).toContain('models[0].id: must be "provider:model"');
    expect(message).not.toMatch(/\n\s+at /);
  });
});

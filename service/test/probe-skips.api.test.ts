// The monitor's own saturation is never blamed on a provider (issue 15): a probe that waited in the
// service, or that the agent shed or could not take, is reported (skipped by reason, lateness) and is not
// a health sample; a late probe's sample carries the provider latency the agent measured, not the wait.
import { createServer, type Server } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { json } from './support/http.js';
import { freePort } from './support/processes.js';
import { type InProcess, setSimModel, startInProcess, testConfigText, useSimulatorAndAgent } from './support/stack.js';
import { waitFor } from './support/wait-for.js';

const FAST = 'openai:gpt-4o-mini';
const SLOW_MS = 2_500;

async function metricValue(url: string, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
  return line ? Number(line.split(' ')[1]) : 0;
}

let svc: InProcess | undefined;
afterEach(async () => {
  await svc?.service.stop(1000);
  svc = undefined;
});

describe('a probe that waits for a slot in the service', () => {
  const stack = useSimulatorAndAgent();

  it('when one slow probe holds the only slot for over an interval, then the wait is counted as lateness and skipped slots, and the late probe records the provider latency, not the wait', async () => {
    await setSimModel(stack.sim(), 'gpt-4o', { latencyMs: SLOW_MS, ttftMs: 100 });
    const extra = 'probes: { intervalSeconds: 1, jitterSeconds: 0, maxConcurrent: 1 }';
    svc = await startInProcess({
      agentUrl: stack.agent().url,
      configText: testConfigText(stack.sim().port, extra),
      scheduleProbes: true,
    });
    const url = svc.url;
    // The slow model's probe holds the one slot for 2.5 s; the others wait behind it, missing two 1-s slots.
    await waitFor('a slot skipped for backlog', async () =>
      (await metricValue(url, 'modelwatch_probes_skipped_total', 'reason="backlog"')) >= 2 ? true : null,
    );
    expect(await metricValue(url, 'modelwatch_probe_lateness_seconds_count')).toBeGreaterThan(0);
    expect(await metricValue(url, 'modelwatch_probe_lateness_seconds_bucket', 'le="1"')).toBeLessThan(
      await metricValue(url, 'modelwatch_probe_lateness_seconds_count'),
    );
    const fast = await waitFor('the waiting model probed', async () => {
      const { body } = await json(`${url}/v1/health/${FAST}`);
      return body.samples.total > 0 ? body : null;
    });
    // It waited at least SLOW_MS in the service; the agent measured the provider's answer alone.
    expect(fast.latency.p50Ms).toBeLessThan(SLOW_MS);
    expect(fast.state).toBe('healthy');
  });
});

/** A stand-in for an agent that sheds load: 503 {"error":"overloaded"} with Retry-After on every call. */
function sheddingAgent(): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url === '/healthz') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' }).end('{"error":"overloaded"}');
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe('a probe the agent could not take', () => {
  let shedding: Server;
  beforeAll(async () => {
    shedding = await sheddingAgent();
  });
  afterAll(() => new Promise<void>((r) => shedding.close(() => r())));

  it.each([
    [
      'answers 503 overloaded',
      'agent_overloaded',
      () => `http://127.0.0.1:${(shedding.address() as { port: number }).port}`,
    ],
    ['does not answer at all', 'agent_unavailable', async () => `http://127.0.0.1:${await freePort()}`],
  ])(
    'when the agent %s, then the probe is skipped with reason %s and the model has no sample',
    async (_case, reason, agentUrl) => {
      svc = await startInProcess({ agentUrl: await agentUrl(), configText: testConfigText(1) });
      const { status, body } = await json(`${svc.url}/v1/probes`, { method: 'POST', body: { models: [FAST] } });
      expect(status).toBe(200);
      expect(body.results[0].probed).toBe(false);
      expect(await metricValue(svc.url, 'modelwatch_probes_skipped_total', `reason="${reason}"`)).toBe(1);
      expect(
        await metricValue(svc.url, 'modelwatch_probes_total', `model="${FAST}",provider="openai",outcome="success"`),
      ).toBe(0);
      const health = (await json(`${svc.url}/v1/health/${FAST}`)).body;
      expect(health).toMatchObject({ state: 'unknown', samples: { total: 0 }, consecutiveFailures: 0 });
    },
  );
});

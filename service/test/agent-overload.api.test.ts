import { createServer, type Server } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { json } from './support/http.js';
import { startInProcess, testConfigText, type InProcess } from './support/stack.js';

// The agent's overload answer, by contract: HTTP 503, {"error": "overloaded", ...} and Retry-After.
// A real HTTP server stands in for the agent only at this HTTP boundary (the agent's own limits are
// built and tested on the agent's side); everything of the service is real.
let agent: Server;
let agentUrl: string;
const calls: string[] = [];
let svc: InProcess | null = null;

beforeAll(async () => {
  agent = createServer((req, res) => {
    req.resume();
    calls.push(`${req.method} ${req.url}`);
    if (req.url === '/healthz') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    res
      .writeHead(503, { 'content-type': 'application/json', 'retry-after': '7' })
      .end(JSON.stringify({ error: 'overloaded', message: 'too many calls in flight' }));
  });
  await new Promise<void>((resolve) => agent.listen(0, '127.0.0.1', resolve));
  const address = agent.address();
  agentUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});
afterAll(async () => {
  await new Promise((resolve) => agent.close(resolve));
});
afterEach(async () => {
  await svc?.service.stop(1000);
  svc = null;
  calls.length = 0;
});

const metric = async (line: string): Promise<number | null> => {
  const text = (await json(`${svc!.url}/metrics`)).body as string;
  const found = text.split('\n').find((l) => l.startsWith(`${line} `));
  return found === undefined ? null : Number(found.split(' ')[1]);
};

describe('when the agent answers 503 overloaded', () => {
  it("then a start is answered 503 overloaded with the agent's Retry-After, and no model is judged", async () => {
    svc = await startInProcess({ agentUrl, configText: testConfigText(1) });
    for (let i = 0; i < 4; i += 1) {
      const res = await json(`${svc.url}/v1/interviews`, { method: 'POST', body: { primary: 'openai:gpt-4o' } });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('7');
      expect(res.body.error).toMatchObject({
        code: 'overloaded',
        details: { retryable: true, retryAfterSeconds: 7, reason: 'agent_overloaded' },
      });
    }
    expect(calls.filter((c) => c === 'POST /v1/interviews/stream')).toHaveLength(4);
    // Four refusals in a row would trip a model if they were samples (3 consecutive failures).
    const health = (await json(`${svc.url}/v1/health/openai:gpt-4o`)).body;
    expect(health.samples.total).toBe(0);
    expect(health.state).toBe('unknown');
    expect(await metric('modelwatch_interview_starts_refused_total{reason="agent_overloaded"}')).toBe(4);
    expect(
      await metric(
        'modelwatch_interview_starts_total{requested_model="openai:gpt-4o",model="none",outcome="unavailable"}',
      ),
    ).toBe(0);
  });

  it('then a probe is skipped and reported as such, not recorded as a slow or failing provider', async () => {
    svc = await startInProcess({ agentUrl, configText: testConfigText(1) });
    const res = await json(`${svc.url}/v1/probes`, { method: 'POST', body: { models: ['openai:gpt-4o'] } });
    expect(res.status).toBe(200);
    expect(JSON.stringify(res.body)).toMatch(/"probed":false/);
    expect(JSON.stringify(res.body)).toMatch(/overloaded/);
    expect((await json(`${svc.url}/v1/health/openai:gpt-4o`)).body.samples.total).toBe(0);
    expect(svc.logs()).toContain('"event":"probe_skipped"');
  });
});

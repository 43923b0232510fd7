import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { json } from './support/http.js';
import { freePort, type LaunchedProcess } from './support/processes.js';
import { startAgent, startInProcess, startSimulator, testConfigText, type InProcess } from './support/stack.js';

// The service against an agent configured with only the openai provider of the service's config: the agent
// refuses calls to anthropic (422), which the service must record as a refusal, not as a provider's answer.
let sim: LaunchedProcess;
let agent: LaunchedProcess;
let svc: InProcess | null = null;

beforeAll(async () => {
  const simPort = await freePort();
  const config = join(mkdtempSync(join(tmpdir(), 'modelwatch-agent-')), 'openai-only.yaml');
  writeFileSync(config, testConfigText(simPort).replace(/^ {2}anthropic:.*$/m, ''));
  [sim, agent] = await Promise.all([
    startSimulator({ port: simPort }),
    startAgent({ simulatorPort: simPort, env: { CONFIG: config } }),
  ]);
});
afterAll(async () => {
  await Promise.all([sim?.stop(), agent?.stop()]);
});
afterEach(async () => {
  await svc?.service.stop(1000);
  svc = null;
});

describe('when the agent refuses a call', () => {
  it('then the attempt is agent_refused, the next candidate serves, and the refused model is not judged', async () => {
    svc = await startInProcess({ agentUrl: agent.url, configText: testConfigText(sim.port) });
    const res = await json(`${svc.url}/v1/interviews`, {
      method: 'POST',
      body: { primary: 'anthropic:claude-sonnet-4', fallbacks: ['openai:gpt-4o'] },
    });
    expect(res.status).toBe(201);
    expect(res.body.model).toBe('openai:gpt-4o');
    const [refused, served] = res.body.attempts;
    expect(refused).toMatchObject({ modelId: 'anthropic:claude-sonnet-4', outcome: 'agent_refused', httpStatus: null });
    expect(served).toMatchObject({ modelId: 'openai:gpt-4o', outcome: 'success' });
    const health = (await json(`${svc.url}/v1/health/anthropic:claude-sonnet-4`)).body;
    expect(health.samples.total).toBe(0);
    expect(svc.logs()).toContain('"event":"agent_rejected"');
  });

  it('then a probe of the refused model records no sample', async () => {
    svc = await startInProcess({ agentUrl: agent.url, configText: testConfigText(sim.port) });
    const res = await json(`${svc.url}/v1/probes`, { method: 'POST', body: { models: ['anthropic:claude-sonnet-4'] } });
    expect(res.status).toBeLessThan(300);
    expect((await json(`${svc.url}/v1/health/anthropic:claude-sonnet-4`)).body.samples.total).toBe(0);
  });
});

describe('when the service and the agent do not share the token', () => {
  it('then readiness says so and a start answers 503 agent_unavailable without judging any model', async () => {
    svc = await startInProcess({
      agentUrl: agent.url,
      configText: testConfigText(sim.port),
      agentToken: 'not-the-agents-token',
    });
    const ready = await json(`${svc.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(JSON.stringify(ready.body)).toContain('MODELWATCH_AGENT_TOKEN differs');
    const res = await json(`${svc.url}/v1/interviews`, { method: 'POST', body: { primary: 'openai:gpt-4o' } });
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('agent_unavailable');
    expect((await json(`${svc.url}/v1/health/openai:gpt-4o`)).body.samples.total).toBe(0);
  });
});

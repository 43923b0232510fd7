// Issue 11 end to end: the service in-process, the real agent and simulator. A hang answered by a
// hedge within the budget and cancelled at the provider; a restart during an outage; a request error.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { json } from './support/http.js';
import { type LaunchedProcess } from './support/processes.js';
import { type InProcess, setSimModel, startInProcess, testConfigText, useSimulatorAndAgent } from './support/stack.js';
import { waitFor } from './support/wait-for.js';

const procs = useSimulatorAndAgent();
let sim: LaunchedProcess;
let agent: LaunchedProcess;
let svc: InProcess | null = null;
beforeAll(() => {
  sim = procs.sim();
  agent = procs.agent();
});
afterEach(async () => {
  await svc?.service.stop(1000);
  svc = null;
});

const SETTINGS = `
interviews: { deadlineSeconds: 10, attemptTimeoutSeconds: 8 }
`;

async function start(dataDir?: string): Promise<InProcess> {
  svc = await startInProcess({ agentUrl: agent.url, configText: testConfigText(sim.port, SETTINGS), dataDir });
  return svc;
}
const probe = (s: InProcess, models?: string[]) =>
  json(`${s.url}/v1/probes`, { method: 'POST', body: models ? { models } : {} });
const startInterview = (s: InProcess, body: unknown) => json(`${s.url}/v1/interviews`, { method: 'POST', body });
const health = async (s: InProcess, id: string) => (await json(`${s.url}/v1/health/${id}`)).body;
const simStats = async () => (await json(`${sim.url}/admin/stats`)).body.models;

describe('acting on the time scale of a voice call', () => {
  it('when the primary hangs, then the start is answered by the fallback within the hedge budget and the primary call is cancelled at the provider', async () => {
    const s = await start();
    for (let i = 0; i < 5; i++) await probe(s);
    const { hedgeDelayMs } = await health(s, 'openai:gpt-4o');
    await setSimModel(sim, 'gpt-4o', { hang: true });
    const began = Date.now();
    const res = await startInterview(s, { primary: 'openai:gpt-4o', fallbacks: ['openai:gpt-4o-mini'] });
    const elapsed = Date.now() - began;
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      model: 'openai:gpt-4o-mini',
      fallback: { reason: 'primary_slow' },
      attempts: [
        { modelId: 'openai:gpt-4o', outcome: 'cancelled', ttftMs: null },
        { modelId: 'openai:gpt-4o-mini', outcome: 'success' },
      ],
    });
    // The hedge delay plus one fast call, far inside the 10-s deadline.
    expect(elapsed).toBeLessThan(hedgeDelayMs + 2_500);
    const stats = await waitFor(
      'the simulator to see the hung call cancelled',
      async () => {
        const models = await simStats();
        return models['gpt-4o']?.cancelled >= 1 ? models : null;
      },
      5_000,
    );
    expect(stats['gpt-4o']).toMatchObject({ outcomes: { hang: 1 }, cancelled: 1 });
    await setSimModel(sim, 'gpt-4o', { hang: false });
  });

  it('when the service restarts during an outage, then no start is sent to the down model after the restart', async () => {
    const first = await start();
    await probe(first);
    await setSimModel(sim, 'gpt-4o', { errorRate: 1, status: 500 });
    for (let i = 0; i < 3; i++) await probe(first, ['openai:gpt-4o']);
    expect((await health(first, 'openai:gpt-4o')).state).toBe('unhealthy');
    await first.service.stop(1000);
    svc = null;
    const sentBefore = (await simStats())['gpt-4o'].total as number;
    const second = await start(first.dataDir);
    expect(await health(second, 'openai:gpt-4o')).toMatchObject({ state: 'unhealthy' });
    for (let i = 0; i < 5; i++) {
      const res = await startInterview(second, { primary: 'openai:gpt-4o', fallbacks: ['openai:gpt-4o-mini'] });
      expect(res.body).toMatchObject({ model: 'openai:gpt-4o-mini', fallback: { reason: 'primary_unhealthy' } });
    }
    expect((await simStats())['gpt-4o'].total).toBe(sentBefore);
  });

  it('when the input holds text no provider can take, then 400 names the field and no model is judged or fallen back from', async () => {
    const s = await start();
    for (let i = 0; i < 3; i++) await probe(s);
    const before = await health(s, 'openai:gpt-4o');
    const sentBefore = (await simStats())['gpt-4o']?.total ?? 0;
    const body = `{"primary":"openai:gpt-4o","config":{"role":"SRE","candidate":"Ada \\ud800 Lovelace"}}`;
    const res = await json(`${s.url}/v1/interviews`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({
      code: 'invalid_request',
      details: { fields: [{ field: 'config.candidate' }] },
    });
    const after = await health(s, 'openai:gpt-4o');
    expect(after).toMatchObject({ state: before.state, samples: before.samples, consecutiveFailures: 0 });
    expect((await json(`${s.url}/v1/fallbacks`)).body.events).toEqual([]);
    expect((await simStats())['gpt-4o']?.total ?? 0).toBe(sentBefore);
  });
});

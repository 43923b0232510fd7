import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, metricValue, tracked } from './support/http.js';
import type { LaunchedProcess } from './support/processes.js';
import { setSimModel, startStackProcesses } from './support/stack.js';
import { waitFor } from './support/wait-for.js';

// The agent's own back-pressure as the service's caller sees it, with all three real processes: the
// real agent allows 2 calls per model (one worker, so the whole limit is in one process), the service's
// own limits are far above that, and a provider is made slow through the simulator's admin API.
const AGENT_ENV = { AGENT_MAX_CALLS_PER_MODEL: '2', AGENT_WORKERS: '1' };
// Service limits high: every refusal here is the agent's. Probes rarely, so none holds an agent slot.
const SERVICE = `
interviews: { maxInFlight: 1000, maxInFlightPerModel: 1000, retryAfterSeconds: 30 }
probes: { intervalSeconds: 600, unhealthyIntervalSeconds: 600, degradedIntervalSeconds: 600, jitterSeconds: 0 }
health: { latencySloMs: 30000 }
`;
// Slow to finish, quick to start streaming: held in flight without tripping a hedged attempt.
const SLOW = { latencyMs: 4000, ttftMs: 20 };
const MODEL = 'openai:gpt-4o-mini';

let sim: LaunchedProcess;
let agent: LaunchedProcess;
let svc: LaunchedProcess;

beforeAll(async () => {
  ({ sim, agent, svc } = await startStackProcesses(SERVICE, AGENT_ENV));
});
afterAll(async () => {
  await Promise.all([svc?.stop(), sim?.stop(), agent?.stop()]);
});

const start = (primary: string) =>
  json(`${svc.url}/v1/interviews`, { method: 'POST', body: { primary, config: { role: 'engineer' } } });
const health = async (id: string) => (await json(`${svc.url}/v1/health/${id}`)).body;
const metric = (series: string): Promise<number | null> => metricValue(svc.url, series);

describe("when the real agent's per-model limit is full", () => {
  it("then further starts get 503 overloaded (agent_overloaded) with the agent's Retry-After at once, and the model is not judged", async () => {
    await waitFor('readiness', async () => (await json(`${svc.url}/readyz`)).status === 200);
    await waitFor(`${MODEL} probed`, async () => (await health(MODEL)).state === 'healthy');
    const before = await health(MODEL);
    await setSimModel(sim, 'gpt-4o-mini', SLOW);

    // Two slow starts take the agent's two slots for this model.
    const held = [tracked(start(MODEL)), tracked(start(MODEL))];
    await waitFor('2 starts in flight', async () => (await metric('modelwatch_interview_starts_in_flight')) === 2);

    const refused = await Promise.all([start(MODEL), start(MODEL), start(MODEL)]);
    for (const res of refused) {
      expect(res.status).toBe(503);
      // The agent's Retry-After (1 s), not the service's own retryAfterSeconds (30).
      expect(res.headers.get('retry-after')).toBe('1');
      expect(res.body.error).toMatchObject({
        code: 'overloaded',
        details: { retryable: true, retryAfterSeconds: 1, reason: 'agent_overloaded' },
      });
    }
    // Refused at once: the slow provider has not answered the starts that hold the slots.
    expect(held.some((h) => h.settled())).toBe(false);

    // Another model has its own slots in the agent: it starts.
    expect((await start('openai:gpt-4o')).status).toBe(201);
    // A probe asked for now finds the model's slots full: skipped and said so, not a failure sample.
    const probe = await json(`${svc.url}/v1/probes`, { method: 'POST', body: { models: [MODEL] } });
    expect(probe.status).toBe(200);
    expect(JSON.stringify(probe.body)).toMatch(/"probed":false/);
    expect(JSON.stringify(probe.body)).toMatch(/overloaded/);
    await waitFor('the skipped probe logged', () => svc.output().includes('"event":"probe_skipped"'));

    for (const h of held) expect((await h.promise).status).toBe(201);
    expect(await metric('modelwatch_interview_starts_refused_total{reason="agent_overloaded"}')).toBe(3);
    // Three refusals in a row would be three consecutive failures if they were samples: none is.
    const after = await health(MODEL);
    expect(after.state).toBe('healthy');
    expect(after.consecutiveFailures).toBe(0);
    expect(after.lastError).toBeNull();
    expect(after.samples.total).toBe(before.samples.total + 2);
    expect(after.samples.byOutcome).toEqual({
      ...before.samples.byOutcome,
      success: 2 + (before.samples.byOutcome.success ?? 0),
    });
    expect(
      await metric(`modelwatch_interview_starts_total{requested_model="${MODEL}",model="none",outcome="unavailable"}`),
    ).toBe(0);
  });
});

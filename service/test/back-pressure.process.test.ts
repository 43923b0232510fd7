import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, metricValue, tracked } from './support/http.js';
import type { LaunchedProcess } from './support/processes.js';
import { setSimModel, startStackProcesses } from './support/stack.js';
import { waitFor } from './support/wait-for.js';

// Back-pressure with all three real processes: low start limits, a provider made slow through the
// simulator's admin API, probes on their own 1-s schedule meanwhile.
const LIMITS = `
interviews: { maxInFlight: 3, maxInFlightPerModel: 2, retryAfterSeconds: 2 }
probes: { intervalSeconds: 1, unhealthyIntervalSeconds: 1, degradedIntervalSeconds: 1, jitterSeconds: 0, timeoutSeconds: 10 }
health: { latencySloMs: 30000 }
`;
// Slow to finish, quick to start streaming: held in flight without tripping a hedged attempt.
const SLOW = { latencyMs: 4000, ttftMs: 20 };

let sim: LaunchedProcess;
let agent: LaunchedProcess;
let svc: LaunchedProcess;

beforeAll(async () => {
  ({ sim, agent, svc } = await startStackProcesses(LIMITS));
});
afterAll(async () => {
  await Promise.all([svc?.stop(), sim?.stop(), agent?.stop()]);
});

const start = (primary: string) =>
  json(`${svc.url}/v1/interviews`, { method: 'POST', body: { primary, config: { role: 'engineer' } } });
const lastProbeAt = async (id: string): Promise<number> =>
  Date.parse((await json(`${svc.url}/v1/health/${id}`)).body.lastProbeAt ?? '1970-01-01T00:00:00Z');
const metric = (series: string): Promise<number | null> => metricValue(svc.url, series);

describe('back-pressure: starts beyond the limits are refused at once, probes keep their schedule', () => {
  it('when the limits are full, then further starts get 503 overloaded with Retry-After while the held ones still run', async () => {
    await waitFor('readiness', async () => (await json(`${svc.url}/readyz`)).status === 200);
    for (const id of ['openai:gpt-4o', 'openai:gpt-4o-mini', 'anthropic:claude-sonnet-4'])
      await waitFor(`${id} healthy`, async () => (await json(`${svc.url}/v1/health/${id}`)).body.state === 'healthy');
    await setSimModel(sim, 'gpt-4o-mini', SLOW);
    await setSimModel(sim, 'claude-sonnet-4', SLOW);

    // Two slow starts fill gpt-4o-mini's limit (2).
    const held = [tracked(start('openai:gpt-4o-mini')), tracked(start('openai:gpt-4o-mini'))];
    await waitFor('2 starts in flight', async () => (await metric('modelwatch_interview_starts_in_flight')) === 2);
    const probedBefore = await lastProbeAt('openai:gpt-4o');

    const perModel = await start('openai:gpt-4o-mini');
    expect(perModel.status).toBe(503);
    expect(perModel.headers.get('retry-after')).toBe('2');
    expect(perModel.body.error).toMatchObject({
      code: 'overloaded',
      details: { retryable: true, reason: 'model_limit', limit: 'interviews.maxInFlightPerModel' },
    });
    // Refused at once: the slow provider has not answered the starts that hold the slots.
    expect(held.some((h) => h.settled())).toBe(false);

    // Another model is within both limits: it starts, fast.
    const other = await start('openai:gpt-4o');
    expect(other.status).toBe(201);
    expect(other.body.model).toBe('openai:gpt-4o');

    // A third slow start fills the service's limit (3): now any model is refused.
    const third = tracked(start('anthropic:claude-sonnet-4'));
    await waitFor('3 starts in flight', async () => (await metric('modelwatch_interview_starts_in_flight')) === 3);
    const overall = await start('openai:gpt-4o');
    expect(overall.status).toBe(503);
    expect(overall.headers.get('retry-after')).toBe('2');
    expect(overall.body.error.details).toMatchObject({ reason: 'service_limit', limit: 'interviews.maxInFlight' });
    expect([...held, third].some((h) => h.settled())).toBe(false);

    // Probes do not share the start limits: scheduled ones keep coming, and one asked for now is sent
    // to the very model whose start limit is full.
    await waitFor(
      'a scheduled probe of gpt-4o after the limits filled',
      async () => (await lastProbeAt('openai:gpt-4o')) > probedBefore,
      10_000,
      100,
    );
    const probe = await json(`${svc.url}/v1/probes`, { method: 'POST', body: { models: ['openai:gpt-4o-mini'] } });
    expect(probe.status).toBe(200);
    expect(JSON.stringify(probe.body)).toMatch(/"probed":true/);
    expect(JSON.stringify(probe.body)).not.toMatch(/overloaded|skipped/);

    // The starts within the limits all succeed.
    for (const h of [...held, third]) expect((await h.promise).status).toBe(201);
    expect(await metric('modelwatch_interview_starts_refused_total{reason="model_limit"}')).toBe(1);
    expect(await metric('modelwatch_interview_starts_refused_total{reason="service_limit"}')).toBe(1);
    expect(await metric('modelwatch_interview_starts_in_flight')).toBe(0);
    // Slots come back: a start is admitted again.
    expect((await start('openai:gpt-4o')).status).toBe(201);
  });
});

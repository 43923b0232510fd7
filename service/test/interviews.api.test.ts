import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { json } from './support/http.js';
import type { LaunchedProcess } from './support/processes.js';
import {
  setSimModel,
  spans,
  startInProcess,
  testConfigText,
  useSimulatorAndAgent,
  type InProcess,
} from './support/stack.js';

// The service in-process on port 0; the agent and the simulator as the real processes.
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

const HEALTH = `
health: { minSamples: 5, latencySloMs: 1000 }
interviews: { deadlineSeconds: 10, attemptTimeoutSeconds: 5 }
`;

async function start(extra = HEALTH, dataDir?: string): Promise<InProcess> {
  svc = await startInProcess({ agentUrl: agent.url, configText: testConfigText(sim.port, extra), dataDir });
  return svc;
}
const probe = (s: InProcess, models?: string[]) =>
  json(`${s.url}/v1/probes`, { method: 'POST', body: models ? { models } : {} });
const startInterview = (s: InProcess, body: unknown, headers: Record<string, string> = {}) =>
  json(`${s.url}/v1/interviews`, { method: 'POST', body, headers });
const stateOf = async (s: InProcess, id: string) => (await json(`${s.url}/v1/health/${id}`)).body.state as string;

async function breakModel(s: InProcess, model: string, id: string, status = 500): Promise<void> {
  await setSimModel(sim, model, { errorRate: 1, status });
  for (let i = 0; i < 3; i++) await probe(s, [id]);
  expect(await stateOf(s, id)).toBe('unhealthy');
}

describe('interview starts with the embedded simulator', () => {
  it('when the primary is healthy, then it is used with no fallback and no event', async () => {
    const s = await start();
    await probe(s);
    expect(await stateOf(s, 'openai:gpt-4o')).toBe('healthy');
    const res = await startInterview(s, { simulationId: 'sim-1', primary: 'openai:gpt-4o', config: { role: 'SRE' } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      simulationId: 'sim-1',
      requestedModel: 'openai:gpt-4o',
      model: 'openai:gpt-4o',
      usedFallback: false,
      fallback: null,
    });
    expect(res.body.openingLine.length).toBeGreaterThan(0);
    expect((await json(`${s.url}/v1/fallbacks`)).body.events).toEqual([]);
    expect((await json(`${s.url}/v1/interviews/${res.body.interviewId}`)).body.model).toBe('openai:gpt-4o');
  });

  it('when the primary failed three probes, then the interview starts on the first healthy caller fallback and the event has the evidence', async () => {
    const s = await start();
    await probe(s);
    await breakModel(s, 'gpt-4o', 'openai:gpt-4o');
    await breakModel(s, 'gpt-4o-mini', 'openai:gpt-4o-mini');
    const res = await startInterview(s, {
      simulationId: 'sim-2',
      primary: 'openai:gpt-4o',
      fallbacks: ['openai:gpt-4o-mini', 'anthropic:claude-sonnet-4'],
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      model: 'anthropic:claude-sonnet-4',
      usedFallback: true,
      fallback: { reason: 'primary_unhealthy', source: 'caller' },
    });
    const events = (await json(`${s.url}/v1/fallbacks`)).body.events;
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      id: res.body.fallback.eventId,
      interviewId: res.body.interviewId,
      simulationId: 'sim-2',
      primary: 'openai:gpt-4o',
      chosen: 'anthropic:claude-sonnet-4',
      reason: 'primary_unhealthy',
      source: 'caller',
      primaryHealth: { state: 'unhealthy', consecutiveFailures: 3 },
    });
    expect(events[0].primaryHealth.reason).toMatch(/3 consecutive failures.*server_error/);
    expect(events[0].traceId).toMatch(/^[0-9a-f]{32}$/);
    const trace = spans.getFinishedSpans().filter((sp) => sp.spanContext().traceId === events[0].traceId);
    const root = trace.find((sp) => sp.name === 'POST /v1/interviews');
    expect(root?.events.map((e) => e.name)).toContain('modelwatch.fallback');
  });

  it('when no fallbacks are given, then auto picks a healthy model of the same tier', async () => {
    const s = await start();
    await probe(s);
    await breakModel(s, 'gpt-4o', 'openai:gpt-4o');
    const res = await startInterview(s, { simulationId: 'x', primary: 'openai:gpt-4o' });
    expect(res.body).toMatchObject({
      model: 'anthropic:claude-sonnet-4',
      fallback: { reason: 'primary_unhealthy', source: 'auto' },
    });
  });

  it('when the primary is degraded (p95 over the SLO), then a healthy candidate takes the interview', async () => {
    const s = await start();
    await setSimModel(sim, 'gpt-4o', { latencyMs: 1300, ttftMs: 100 });
    for (let i = 0; i < 5; i++) await probe(s, ['openai:gpt-4o', 'openai:gpt-4o-mini']);
    const health = (await json(`${s.url}/v1/health/openai:gpt-4o`)).body;
    expect(health.state).toBe('degraded');
    expect(health.latency.p95Ms).toBeGreaterThan(1000);
    const res = await startInterview(s, {
      simulationId: 'x',
      primary: 'openai:gpt-4o',
      fallbacks: ['openai:gpt-4o-mini'],
    });
    expect(res.body).toMatchObject({
      model: 'openai:gpt-4o-mini',
      fallback: { reason: 'primary_degraded', source: 'caller' },
    });
  });

  it('when the call fails on a primary still marked healthy, then the next candidate serves, the failure reaches the engine, and every attempt is listed', async () => {
    const s = await start();
    await probe(s);
    expect(await stateOf(s, 'openai:gpt-4o')).toBe('healthy');
    await setSimModel(sim, 'gpt-4o', { errorRate: 1, status: 503 });
    const res = await startInterview(s, {
      simulationId: 'x',
      primary: 'openai:gpt-4o',
      fallbacks: ['openai:gpt-4o-mini'],
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      model: 'openai:gpt-4o-mini',
      fallback: { reason: 'primary_failed', source: 'caller' },
    });
    expect(res.body.attempts.map((a: { modelId: string; outcome: string }) => [a.modelId, a.outcome])).toEqual([
      ['openai:gpt-4o', 'overloaded'],
      ['openai:gpt-4o-mini', 'success'],
    ]);
    const health = (await json(`${s.url}/v1/health/openai:gpt-4o`)).body;
    expect(health.consecutiveFailures).toBe(1);
    expect(health.samples.bySource.interview).toBe(1);
  });

  it('when the deadline runs short, then no model is tried on a budget too small to judge it, and none is charged for it', async () => {
    const s = await start('interviews: { deadlineSeconds: 3, attemptTimeoutSeconds: 1.2 }');
    await probe(s);
    await setSimModel(sim, 'gpt-4o', { hang: true });
    await setSimModel(sim, 'gpt-4o-mini', { hang: true });
    const res = await startInterview(s, {
      simulationId: 'x',
      primary: 'openai:gpt-4o',
      fallbacks: ['openai:gpt-4o-mini', 'anthropic:claude-sonnet-4'],
    });
    expect(res.status).toBe(503);
    expect(
      res.body.error.details.attempts.map((a: { modelId: string; outcome: string }) => `${a.modelId}:${a.outcome}`),
    ).toEqual(['openai:gpt-4o:timeout', 'openai:gpt-4o-mini:timeout']);
    const sonnet = (await json(`${s.url}/v1/health/anthropic:claude-sonnet-4`)).body;
    expect(sonnet).toMatchObject({ state: 'healthy', consecutiveFailures: 0 });
    expect(sonnet.samples.bySource.interview).toBe(0);
  });

  it('when nothing is usable, then the primary is tried anyway, and when that fails too, 503 lists every candidate', async () => {
    const s = await start();
    for (const [m, id] of [
      ['gpt-4o', 'openai:gpt-4o'],
      ['gpt-4o-mini', 'openai:gpt-4o-mini'],
      ['claude-sonnet-4', 'anthropic:claude-sonnet-4'],
    ])
      await breakModel(s, m!, id!);
    const failed = await startInterview(s, { simulationId: 'x', primary: 'openai:gpt-4o' });
    expect(failed.status).toBe(503);
    expect(failed.body.error.code).toBe('no_model_available');
    expect(
      failed.body.error.details.candidates.map((c: { model: string; state: string }) => `${c.model}:${c.state}`),
    ).toEqual(['openai:gpt-4o:unhealthy', 'anthropic:claude-sonnet-4:unhealthy', 'openai:gpt-4o-mini:unhealthy']);
    expect(failed.body.error.details.attempts).toHaveLength(1);

    await setSimModel(sim, 'gpt-4o', { errorRate: 0 });
    const anyway = await startInterview(s, { simulationId: 'x', primary: 'openai:gpt-4o' });
    expect(anyway.status).toBe(201);
    expect(anyway.body).toMatchObject({
      model: 'openai:gpt-4o',
      usedFallback: false,
      primaryTriedAnyway: true,
      fallback: { reason: 'no_healthy_model', source: 'primary' },
    });
  });

  it('when a start is retried with the same Idempotency-Key, then the same interview comes back and one event exists', async () => {
    const s = await start();
    await probe(s);
    await breakModel(s, 'gpt-4o', 'openai:gpt-4o');
    const body = { simulationId: 'x', primary: 'openai:gpt-4o' };
    const [a, b] = await Promise.all([
      startInterview(s, body, { 'Idempotency-Key': 'k-1' }),
      startInterview(s, body, { 'Idempotency-Key': 'k-1' }),
    ]);
    const c = await startInterview(s, body, { 'Idempotency-Key': 'k-1' });
    expect(new Set([a.body.interviewId, b.body.interviewId, c.body.interviewId]).size).toBe(1);
    expect(c.headers.get('idempotent-replayed')).toBe('true');
    expect((await json(`${s.url}/v1/fallbacks`)).body.events).toHaveLength(1);
  });

  it('when a stored simulation is named, then its primary and fallbacks are used, and request fields override them', async () => {
    const s = await start();
    await probe(s);
    const put = await json(`${s.url}/v1/simulations/backend-1`, {
      method: 'PUT',
      body: { primary: 'openai:gpt-4o', fallbacks: ['openai:gpt-4o-mini'], interview: { role: 'Backend' } },
    });
    expect(put.status).toBe(201);
    await breakModel(s, 'gpt-4o', 'openai:gpt-4o');
    const stored = await startInterview(s, { simulationId: 'backend-1' });
    expect(stored.body).toMatchObject({
      requestedModel: 'openai:gpt-4o',
      model: 'openai:gpt-4o-mini',
      fallback: { source: 'simulation' },
    });
    const overridden = await startInterview(s, { simulationId: 'backend-1', primary: 'anthropic:claude-sonnet-4' });
    expect(overridden.body).toMatchObject({
      requestedModel: 'anthropic:claude-sonnet-4',
      model: 'anthropic:claude-sonnet-4',
      usedFallback: false,
    });
    const byCaller = await startInterview(s, { simulationId: 'backend-1', fallbacks: ['anthropic:claude-sonnet-4'] });
    expect(byCaller.body).toMatchObject({ model: 'anthropic:claude-sonnet-4', fallback: { source: 'caller' } });
  });

  it('when the service restarts on the same data directory, then events and simulations are still there', async () => {
    const first = await start();
    await probe(first);
    await json(`${first.url}/v1/simulations/keep-me`, { method: 'PUT', body: { primary: 'openai:gpt-4o' } });
    await breakModel(first, 'gpt-4o', 'openai:gpt-4o');
    const started = await startInterview(first, { simulationId: 'keep-me' });
    await first.service.stop(1000);
    const second = await start(HEALTH, first.dataDir);
    expect((await json(`${second.url}/v1/fallbacks`)).body.events.map((e: { id: string }) => e.id)).toEqual([
      started.body.fallback.eventId,
    ]);
    expect((await json(`${second.url}/v1/simulations/keep-me`)).status).toBe(200);
    expect(
      (await json(`${second.url}/v1/health/openai:gpt-4o/history`)).body.transitions.length,
    ).toBeGreaterThanOrEqual(2);
  });

  it('when 200 starts arrive at once while the primary is failing, then every start is answered and every fallback has exactly one event', async () => {
    // Limits that admit all 200 at once, the handoff gate's included (a burst of 200 queues at the agent):
    // this is about concurrent recording, back-pressure has its own tests.
    const s = await start(
      HEALTH.replace(
        'attemptTimeoutSeconds: 5',
        'attemptTimeoutSeconds: 5, maxInFlight: 200, maxInFlightPerModel: 200, handoffTargetMs: 60000',
      ),
    );
    await probe(s);
    await breakModel(s, 'gpt-4o', 'openai:gpt-4o');
    await setSimModel(sim, 'claude-sonnet-4', { latencyMs: 20, ttftMs: 10 });
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        startInterview(s, { simulationId: `c-${i % 7}`, primary: 'openai:gpt-4o' }),
      ),
    );
    expect(results.map((r) => r.status).filter((st) => st !== 201)).toEqual([]);
    const eventIds = new Set<string>();
    let cursor: string | null = null;
    do {
      const page: { body: { events: Array<{ id: string; interviewId: string }>; nextCursor: string | null } } =
        await json(`${s.url}/v1/fallbacks?limit=500${cursor ? `&cursor=${cursor}` : ''}`);
      page.body.events.forEach((e) => eventIds.add(e.interviewId));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(eventIds.size).toBe(200);
    expect(new Set(results.map((r) => r.body.interviewId))).toEqual(eventIds);
  });
});

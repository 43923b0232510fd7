import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { json } from './support/http.js';
import type { LaunchedProcess } from './support/processes.js';
import { setSimModel, startInProcess, testConfigText, useSimulatorAndAgent, type InProcess } from './support/stack.js';

// The health verdicts through the API, driven by real probes through the real agent to the simulator.
const procs = useSimulatorAndAgent();
let sim: LaunchedProcess;
let agent: LaunchedProcess;
let svc: InProcess;
const ID = 'openai:gpt-4o';
beforeAll(() => {
  sim = procs.sim();
  agent = procs.agent();
});
afterEach(async () => {
  await svc?.service.stop(1000);
});

const probeOnce = async () =>
  (await json(`${svc.url}/v1/probes`, { method: 'POST', body: { models: [ID] } })).body.results[0];
const health = async () => (await json(`${svc.url}/v1/health/${ID}`)).body;
const metrics = async () => (await fetch(`${svc.url}/metrics`)).text();

describe('health verdicts from real probes', () => {
  it('when latency steps above the SLO, then the model turns degraded with the p95 and SLO in the reason', async () => {
    svc = await startInProcess({
      agentUrl: agent.url,
      configText: testConfigText(sim.port, 'health: { minSamples: 5, latencySloMs: 400 }'),
    });
    for (let i = 0; i < 5; i++) await probeOnce();
    expect((await health()).state).toBe('healthy');
    await setSimModel(sim, 'gpt-4o', { latencyMs: 700, ttftMs: 300 });
    for (let i = 0; i < 5; i++) await probeOnce();
    const h = await health();
    expect(h.state).toBe('degraded');
    expect(h.reason).toMatch(/p95 \d+ ms > SLO 400 ms over \d+ samples/);
    expect(h.latency.p95Ms).toBeGreaterThan(650);
    expect(h.ttft.p50Ms).toBeGreaterThan(0);
    expect(h.thresholds.latencySloMs).toBe(400);
    expect(await metrics()).toMatch(/modelwatch_model_health_state\{model="openai:gpt-4o",state="degraded"\} 1/);
  });

  it('when the provider answers 500, then unhealthy on the third probe, not before; recovery on the second good probe, not before; history has every step', async () => {
    svc = await startInProcess({ agentUrl: agent.url, configText: testConfigText(sim.port) });
    expect((await health()).state).toBe('unknown');
    await probeOnce();
    expect((await health()).state).toBe('healthy');
    await setSimModel(sim, 'gpt-4o', { errorRate: 1, status: 500 });
    const states: string[] = [];
    for (let i = 0; i < 3; i++) {
      expect((await probeOnce()).outcome).toBe('server_error');
      states.push((await health()).state);
    }
    expect(states).toEqual(['healthy', 'healthy', 'unhealthy']);
    const sick = await health();
    expect(sick).toMatchObject({
      consecutiveFailures: 3,
      requiredSuccesses: 2,
      lastError: { outcome: 'server_error', httpStatus: 500 },
    });
    expect(sick.reason).toMatch(/^3 consecutive failures: server_error \(HTTP 500\)/);

    await json(`${sim.url}/admin/reset`, { method: 'POST' });
    await probeOnce();
    expect((await health()).state).toBe('unhealthy');
    await probeOnce();
    const well = await health();
    expect(well.state).toBe('healthy');
    expect(well.samples.total).toBeLessThanOrEqual(2);

    const history = (await json(`${svc.url}/v1/health/${ID}/history?limit=2`)).body;
    expect(history.transitions.map((t: { from: string; to: string }) => `${t.from}->${t.to}`)).toEqual([
      'unhealthy->healthy',
      'healthy->unhealthy',
    ]);
    const older = (await json(`${svc.url}/v1/health/${ID}/history?limit=2&cursor=${history.nextCursor}`)).body;
    expect(older.transitions.map((t: { from: string; to: string }) => `${t.from}->${t.to}`)).toEqual([
      'unknown->healthy',
    ]);
    expect(older.nextCursor).toBeNull();
    const m = await metrics();
    expect(m).toContain('modelwatch_health_transitions_total{model="openai:gpt-4o",from="healthy",to="unhealthy"} 1');
    expect(m).toContain('modelwatch_probes_total{model="openai:gpt-4o",provider="openai",outcome="server_error"} 3');
    expect(m).toMatch(/modelwatch_probe_last_success_timestamp_seconds\{model="openai:gpt-4o"\} 1\d{9}/);
  });

  it('when rate limited (429), then degraded but never unhealthy, and the probe tokens and cost are counted', async () => {
    svc = await startInProcess({ agentUrl: agent.url, configText: testConfigText(sim.port) });
    await probeOnce();
    await setSimModel(sim, 'gpt-4o', { errorRate: 1, status: 429 });
    for (let i = 0; i < 4; i++) expect((await probeOnce()).outcome).toBe('rate_limited');
    const h = await health();
    expect(h.state).toBe('degraded');
    expect(h.reason).toMatch(/rate limited/);
    expect(h.probeCost.tokensPerProbe).toBeGreaterThan(0);
    expect(h.probeCost.estimatedUsdPerDay).toBeGreaterThan(0);
    expect(await metrics()).toMatch(/modelwatch_probe_cost_usd_total\{model="openai:gpt-4o"\} [0-9.e-]+/);
  });
});

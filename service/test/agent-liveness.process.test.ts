import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, metricValue, timedStart, type Answer } from './support/http.js';
import type { LaunchedProcess } from './support/processes.js';
import { startServiceProcess, startSimulatorAndAgent, testConfigText } from './support/stack.js';
import { waitFor } from './support/wait-for.js';

// A frozen agent (SIGSTOP: it accepts connections and never answers) with nothing polling /readyz:
// the service's own liveness check must find it down, so no start waits out its attempt timeout, and
// find it again after SIGCONT without a restart of anything (issue 14, item 5).
const ATTEMPT_MS = 20_000;
const MODELS = ['openai:gpt-4o', 'openai:gpt-4o-mini', 'anthropic:claude-sonnet-4'];

let sim: LaunchedProcess;
let agent: LaunchedProcess;
let svc: LaunchedProcess;

beforeAll(async () => {
  [sim, agent] = await startSimulatorAndAgent({ env: { LOG_LEVEL: 'warning' } });
  const dir = mkdtempSync(join(tmpdir(), 'modelwatch-liveness-'));
  const config = join(dir, 'config.yaml');
  // Probes only at start-up, so the only calls to the agent during the freeze are the test's starts.
  const extra = `
probes: { intervalSeconds: 3600, unhealthyIntervalSeconds: 3600, jitterSeconds: 0, timeoutSeconds: 2 }
interviews: { deadlineSeconds: 30, attemptTimeoutSeconds: ${ATTEMPT_MS / 1000} }
`;
  writeFileSync(config, testConfigText(sim.port, extra));
  svc = await startServiceProcess({ env: { AGENT_URL: agent.url, CONFIG: config, DATA_DIR: join(dir, 'data') } });
  for (const id of MODELS)
    await waitFor(`${id} healthy`, async () => (await json(`${svc.url}/v1/health/${id}`)).body.state === 'healthy');
});
afterAll(async () => {
  agent?.process.kill('SIGCONT');
  await Promise.all([svc?.stop('SIGKILL'), sim?.stop(), agent?.stop()]);
});

// Every provider call the simulator has seen, and the agent's calls dropped because their caller hung up.
const providerCalls = async (): Promise<number> =>
  Object.values((await json(`${sim.url}/admin/stats`)).body.models as Record<string, { total: number }>).reduce(
    (sum, m) => sum + m.total,
    0,
  );
const droppedForHangUp = async (): Promise<number> =>
  (await metricValue(agent.url, 'modelwatch_agent_calls_dropped_total{purpose="interview",reason="caller_gone"}')) ?? 0;

const starts = (n: number): Promise<Answer[]> =>
  Promise.all(
    Array.from({ length: n }, (_, i) => timedStart(svc.url, { primary: MODELS[i % 3] }, ATTEMPT_MS + 10_000)),
  );

function expectFastAgentUnavailable(answers: Answer[], what: string): void {
  for (const a of answers) {
    expect(a.status, `${what}: ${JSON.stringify(a.body)}`).toBe(503);
    expect(a.body.error.code).toBe('agent_unavailable');
    expect(a.body.error.details.retryable).toBe(true);
    expect(Number(a.headers?.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // Generous: far inside the attempt timeout a frozen agent used to make every start wait out.
    expect(a.ms, `${what} answered after ${a.ms} ms; the attempt timeout is ${ATTEMPT_MS} ms`).toBeLessThan(
      ATTEMPT_MS / 2,
    );
  }
}

describe('when the agent freezes and nothing polls /readyz', () => {
  it('then in-flight and new starts answer 503 agent_unavailable long before their timeout, the resumed agent calls no provider for them, and starts succeed again', async () => {
    expect((await timedStart(svc.url, { primary: MODELS[0] }, ATTEMPT_MS)).status).toBe(201);
    const callsBefore = await providerCalls();
    const droppedBefore = await droppedForHangUp();
    agent.process.kill('SIGSTOP');
    try {
      // Sent at the freeze: they are waiting on the agent when the liveness check finds it down.
      expectFastAgentUnavailable(await starts(6), 'a start in flight at the freeze');
      // Known down now: every new start is refused without waiting on the agent.
      expectFastAgentUnavailable(await starts(12), 'a start after the agent was found down');
    } finally {
      agent.process.kill('SIGCONT');
    }
    // The six in-flight starts were told 503: the agent finds their requests hung up when it resumes and
    // drops them before any provider call (agent/hang_up.py), so the simulator sees nothing new.
    await waitFor(
      'the resumed agent to drop the calls the service ended',
      async () => (await droppedForHangUp()) - droppedBefore >= 6,
      15_000,
      100,
    );
    expect(await providerCalls()).toBe(callsBefore);
    await waitFor(
      'a start to succeed again, nothing restarted',
      async () => (await timedStart(svc.url, { primary: MODELS[1] }, ATTEMPT_MS)).status === 201,
      15_000,
      200,
    );
    expect(svc.process.exitCode).toBeNull();
  });
});

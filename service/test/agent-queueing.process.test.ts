import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, timedStart } from './support/http.js';
import type { LaunchedProcess } from './support/processes.js';
import { startStackProcesses } from './support/stack.js';
import { waitFor } from './support/wait-for.js';

// Calls the agent has not taken on yet are waiting at the agent, not at a provider: the monitor's own
// queue must never read as a provider with no first token (issue 15). The agent is frozen (SIGSTOP) for
// a few hedge delays, shorter than the liveness check would take to call it down: a GC pause, a cold
// restart or a CPU-starved machine look the same from the service.
const HEDGE_MS = 300;
const MODELS = ['openai:gpt-4o', 'openai:gpt-4o-mini', 'anthropic:claude-sonnet-4'];

let sim: LaunchedProcess;
let agent: LaunchedProcess;
let svc: LaunchedProcess;

// Probes only at start-up and a liveness check far slower than the freeze: the only calls to the agent
// while it is frozen are the test's starts, and nothing calls it down.
const SETTINGS = `
health: { hedgeDelayMs: ${HEDGE_MS} }
agent: { checkIntervalSeconds: 30, checkTimeoutSeconds: 10 }
probes: { intervalSeconds: 3600, unhealthyIntervalSeconds: 3600, jitterSeconds: 0, timeoutSeconds: 5 }
interviews: { deadlineSeconds: 20, attemptTimeoutSeconds: 15 }
`;

beforeAll(async () => {
  ({ sim, agent, svc } = await startStackProcesses(SETTINGS, { LOG_LEVEL: 'warning' }));
  for (const id of MODELS)
    await waitFor(`${id} healthy`, async () => (await json(`${svc.url}/v1/health/${id}`)).body.state === 'healthy');
});
afterAll(async () => {
  agent?.process.kill('SIGCONT');
  await Promise.all([svc?.stop('SIGKILL'), sim?.stop(), agent?.stop()]);
});

describe('calls waiting for the agent to take them on', () => {
  it('when the agent is frozen for several hedge delays, then no model is charged a missing first token', async () => {
    agent.process.kill('SIGSTOP');
    const frozenAt = Date.now();
    const answers = Promise.all(
      Array.from({ length: 4 }, () => timedStart(svc.url, { primary: MODELS[0], fallbacks: MODELS.slice(1) }, 30_000)),
    );
    // Each start hedged to the next model after HEDGE_MS: every model has calls waiting at the agent,
    // more than noFirstTokenRun (3) of them, for well over the hedge delay, and the service has ticked.
    await waitFor('the calls waited at the frozen agent', () => Date.now() - frozenAt >= 6 * HEDGE_MS + 1_500);
    const whileFrozen = await Promise.all(MODELS.map(async (id) => (await json(`${svc.url}/v1/health/${id}`)).body));
    agent.process.kill('SIGCONT');
    for (const h of whileFrozen) {
      expect({ id: h.id, state: h.state, misses: h.firstTokenMisses }).toEqual({
        id: h.id,
        state: 'healthy',
        misses: 0,
      });
    }
    // Once it runs again, every start is served and no model went degraded in between.
    expect((await answers).map((a) => a.status)).toEqual([201, 201, 201, 201]);
    for (const id of MODELS) {
      const history = (await json(`${svc.url}/v1/health/${id}/history?limit=20`)).body.transitions as Array<{
        to: string;
      }>;
      expect(history.filter((t) => t.to !== 'healthy')).toEqual([]);
    }
  });
});

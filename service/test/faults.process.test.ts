import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { json, timedStart, type Answer } from './support/http.js';
import { startOtlpReceiver } from './support/otlp-receiver.js';
import { freePort, type LaunchedProcess } from './support/processes.js';
import {
  SERVICE_MAIN,
  setSimModel,
  startAgent,
  startServiceProcess,
  startSimulatorAndAgent,
  testConfigText,
} from './support/stack.js';
import { waitFor, withDeadline } from './support/wait-for.js';

// Faults with all three real processes: the agent killed or frozen, a provider that hangs, the service
// killed or stopped in the middle of work, and start-up refusing bad settings. Conditions are waited on
// with deadlines; the only timed waits are the load generator's own pacing.
const GPT4O = 'openai:gpt-4o';
const MINI = 'openai:gpt-4o-mini';
const CLAUDE = 'anthropic:claude-sonnet-4';

let sim: LaunchedProcess;
let agent: LaunchedProcess;
let dir: string;

function startAgentOn(port: number): Promise<LaunchedProcess> {
  return startAgent({ simulatorPort: sim.port, port, env: { LOG_LEVEL: 'warning' } });
}

/** The agent is shared; a test that kills or freezes it leaves it running again for the next. */
async function ensureAgent(): Promise<void> {
  agent.process.kill('SIGCONT');
  if (agent.process.exitCode !== null || agent.process.signalCode !== null) agent = await startAgentOn(agent.port);
}

function writeConfig(name: string, extra: string): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, testConfigText(sim.port, extra));
  return file;
}

function startService(
  config: string,
  dataDir: string,
  env: Record<string, string> = {},
  port?: number,
): Promise<LaunchedProcess> {
  return startServiceProcess({ env: { AGENT_URL: agent.url, CONFIG: config, DATA_DIR: dataDir, ...env }, port });
}

const health = async (svc: LaunchedProcess, id: string) => (await json(`${svc.url}/v1/health/${id}`)).body;
const waitState = (svc: LaunchedProcess, id: string, state: string, timeoutMs = 20_000) =>
  waitFor(`${id} to be ${state}`, async () => (await health(svc, id)).state === state, timeoutMs, 100);
const simStats = async (): Promise<{ models: Record<string, { total: number; outcomes: Record<string, number> }> }> =>
  (await json(`${sim.url}/admin/stats`)).body;
const simCount = async (model: string, outcome?: string): Promise<number> => {
  const m = (await simStats()).models[model];
  if (!m) return 0;
  return outcome ? (m.outcomes[outcome] ?? 0) : m.total;
};

/** Open-loop load: one call every 1000/rate ms whatever the answers do, until stopped. */
function openLoop<T>(ratePerSecond: number, fire: () => Promise<T>) {
  const calls: Array<Promise<T>> = [];
  const done: T[] = [];
  let running = true;
  const every = 1000 / ratePerSecond;
  const t0 = Date.now();
  const loop = (async () => {
    for (let i = 0; running; i++) {
      calls.push(
        fire().then((a) => {
          done.push(a);
          return a;
        }),
      );
      const wait = t0 + (i + 1) * every - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  })();
  return {
    sent: () => calls.length,
    answered: () => done,
    async stop(): Promise<T[]> {
      running = false;
      await loop;
      return Promise.all(calls);
    },
  };
}

/** A POST on a fresh connection (no keep-alive pool): tells "refused" apart from an answer. */
function postFresh(url: string, body: object): Promise<{ status: number | 'refused'; body: string; error?: string }> {
  return new Promise((resolve) => {
    const data = JSON.stringify(body);
    const req = httpRequest(
      `${url}/v1/interviews`,
      {
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data), connection: 'close' },
        timeout: 5_000,
      },
      (res: IncomingMessage) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', (e) => resolve({ status: 'refused', body: text, error: e.message }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer in 5 s')));
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ status: 'refused', body: '', error: e.code ?? e.message }));
    req.end(data);
  });
}

beforeAll(async () => {
  if (!existsSync(SERVICE_MAIN)) throw new Error('service/dist/main.js is missing: run `make build` (make test does)');
  dir = mkdtempSync(join(tmpdir(), 'modelwatch-faults-'));
  const agentPort = await freePort();
  [sim, agent] = await startSimulatorAndAgent({ port: agentPort, env: { LOG_LEVEL: 'warning' } });
});
afterAll(async () => {
  agent?.process.kill('SIGCONT');
  await Promise.all([sim?.stop(), agent?.stop()]);
});
beforeEach(async () => {
  await ensureAgent();
  await json(`${sim.url}/admin/reset`, { method: 'POST' });
});

describe('when the agent dies or freezes under load', () => {
  const DEADLINE_MS = 4_000;
  // What the service itself may add on top of the deadline (a loaded CI box included).
  const MARGIN_MS = 750;
  let svc: LaunchedProcess;
  beforeAll(async () => {
    await ensureAgent();
    const config = writeConfig(
      'agent-faults',
      `
probes: { intervalSeconds: 1, unhealthyIntervalSeconds: 1, jitterSeconds: 0, timeoutSeconds: 2 }
interviews: { deadlineSeconds: ${DEADLINE_MS / 1000}, attemptTimeoutSeconds: ${DEADLINE_MS / 1000} }
`,
    );
    svc = await startService(config, join(dir, 'agent-faults'));
  });
  afterAll(async () => {
    await svc?.stop('SIGKILL');
  });

  it('SIGKILL: starts answer 503 agent_unavailable within the deadline, /readyz names the agent, and a restart on the same port recovers', async () => {
    await waitFor('readiness', async () => (await json(`${svc.url}/readyz`)).status === 200);
    await setSimModel(sim, 'gpt-4o', { errorRate: 0.3, status: 500 });
    const body = { primary: GPT4O, fallbacks: [MINI] };
    const start = () => timedStart(svc.url, body, DEADLINE_MS + 5_000);

    const load = openLoop(20, start);
    await waitFor(
      'five starts answered 201 before the kill',
      () => load.answered().filter((a) => a.status === 201).length >= 5,
      15_000,
    );
    agent.process.kill('SIGKILL');
    await agent.stop();
    const killedAt = Date.now();
    const sentAtKill = load.sent();
    await waitFor('a 503 after the kill', () => load.answered().some((a) => a.status === 503), 10_000);
    const ready = await json(`${svc.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(ready.body.ready).toBe(false);
    expect(ready.body.reason).toMatch(/agent/);
    expect(ready.body.reason).toContain(`127.0.0.1:${agent.port}`);
    await waitFor('a second of load with the agent dead', () => load.sent() >= sentAtKill + 20, 10_000);
    const during = await load.stop();

    for (const a of during) {
      expect(a.status, `a start got no answer within ${DEADLINE_MS + 5_000} ms: ${JSON.stringify(a)}`).not.toBe(
        'no answer',
      );
      expect(a.ms, `answered in ${a.ms} ms, over the deadline: ${JSON.stringify(a.body).slice(0, 300)}`).toBeLessThan(
        DEADLINE_MS + MARGIN_MS,
      );
      expect([201, 503], JSON.stringify(a.body).slice(0, 300)).toContain(a.status);
      if (a.status === 503) {
        expect(a.body.error).toMatchObject({ code: 'agent_unavailable', details: { retryable: true } });
        expect(a.body.error.message).toMatch(/agent/);
      }
    }
    const afterKill = during.filter((a) => a.sentAt > killedAt + 100);
    expect(afterKill.length).toBeGreaterThan(10);
    expect(afterKill.every((a) => a.status === 503)).toBe(true);

    // Restart on the same port: no change to the service, it finds the agent again.
    agent = await startAgentOn(agent.port);
    await waitFor('readiness after the restart', async () => (await json(`${svc.url}/readyz`)).status === 200, 15_000);
    const recovery = openLoop(20, start);
    await waitFor('ten starts after the restart', () => recovery.answered().length >= 10, 15_000);
    const after = await recovery.stop();
    // Every start after the restart is served; a refusal is shown with its code and reason.
    expect(after.filter((a) => a.status !== 201).map((a) => ({ status: a.status, error: a.body?.error }))).toEqual([]);

    // Every 201 has its interview and, if it fell back, its event.
    const started = [...during, ...after].filter((a) => a.status === 201);
    expect(started.some((a) => a.body.fallback)).toBe(true);
    for (const a of started) {
      const iv = await json(`${svc.url}/v1/interviews/${a.body.interviewId}`);
      expect(iv.status).toBe(200);
      expect(iv.body.interviewId).toBe(a.body.interviewId);
      if (a.body.fallback) {
        const ev = await json(`${svc.url}/v1/fallbacks/${a.body.fallback.eventId}`);
        expect(ev.status).toBe(200);
        expect(ev.body.interviewId).toBe(a.body.interviewId);
      }
    }
  });

  it('SIGSTOP (agent accepts connections but never answers): a start still answers 503 within its deadline', async () => {
    await waitFor('readiness', async () => (await json(`${svc.url}/readyz`)).status === 200, 15_000);
    agent.process.kill('SIGSTOP');
    try {
      const [a, b] = await Promise.all([
        timedStart(svc.url, { primary: GPT4O }, DEADLINE_MS + 5_000),
        timedStart(svc.url, { primary: MINI, fallbacks: [CLAUDE] }, DEADLINE_MS + 5_000),
      ]);
      for (const x of [a, b]) {
        expect(x.status).toBe(503);
        expect(x.body.error.code).toBe('agent_unavailable');
        expect(x.ms, `the start deadline is ${DEADLINE_MS} ms; the answer came after ${x.ms} ms`).toBeLessThan(
          DEADLINE_MS + MARGIN_MS,
        );
      }
    } finally {
      agent.process.kill('SIGCONT');
    }
  });
});

describe('when the agent is frozen and known unreachable', () => {
  const DEADLINE_MS = 8_000;
  let svc: LaunchedProcess;
  beforeAll(async () => {
    await ensureAgent();
    // Probes only at start-up: after that, every provider call the simulator counts comes from this test.
    const config = writeConfig(
      'frozen',
      `
probes: { intervalSeconds: 3600, unhealthyIntervalSeconds: 3600, jitterSeconds: 0, timeoutSeconds: 2 }
interviews: { deadlineSeconds: ${DEADLINE_MS / 1000}, attemptTimeoutSeconds: ${DEADLINE_MS / 1000} }
`,
    );
    svc = await startService(config, join(dir, 'frozen'));
    for (const id of [GPT4O, MINI, CLAUDE]) await waitState(svc, id, 'healthy');
  });
  afterAll(async () => {
    await svc?.stop('SIGKILL');
  });

  const providerCalls = async (): Promise<number> =>
    Object.values((await simStats()).models).reduce((sum, m) => sum + m.total, 0);

  it('then starts answer 503 fast, and after SIGCONT the abandoned calls never reach a provider', async () => {
    const callsBefore = await providerCalls();
    agent.process.kill('SIGSTOP');
    try {
      // Abandoned work: a start and a probe the service gives up on while the agent is frozen.
      const [first, probe] = await Promise.all([
        timedStart(svc.url, { primary: GPT4O }, DEADLINE_MS + 5_000),
        json(`${svc.url}/v1/probes`, { method: 'POST', body: { models: [CLAUDE] } }),
      ]);
      expect(first.status).toBe(503);
      expect(first.body.error.code).toBe('agent_unavailable');
      expect(probe.body.results[0]).toMatchObject({ modelId: CLAUDE, probed: false });
      expect((await json(`${svc.url}/readyz`)).status).toBe(503);

      // Known unreachable now: no start waits for its deadline again.
      const fast = await Promise.all(
        [GPT4O, MINI, CLAUDE].map((primary) => timedStart(svc.url, { primary }, DEADLINE_MS)),
      );
      for (const x of fast) {
        expect(x.status).toBe(503);
        expect(x.body.error.code).toBe('agent_unavailable');
        expect(x.ms, `answered after ${x.ms} ms; the deadline is ${DEADLINE_MS} ms`).toBeLessThan(DEADLINE_MS / 2);
      }
    } finally {
      agent.process.kill('SIGCONT');
    }
    // Whatever of the abandoned work reaches the agent once it resumes is dropped before a provider call
    // (agent/tests/test_e2e_deadline.py proves the drop itself on requests whose caller still listens).
    await waitFor('the agent to answer again', async () => (await fetch(`${agent.url}/healthz`)).ok, 15_000);
    expect(await providerCalls()).toBe(callsBefore);

    // And the service finds the agent again on the next start.
    await waitFor(
      'a start to succeed again',
      async () => (await timedStart(svc.url, { primary: MINI }, DEADLINE_MS)).status === 201,
      15_000,
      200,
    );
  });
});

describe('when a provider hangs', () => {
  it('its probe ends at the timeout with outcome timeout, probes of it never overlap, and the other models stay healthy and fresh', async () => {
    const config = writeConfig(
      'hang',
      `
probes: { intervalSeconds: 1, unhealthyIntervalSeconds: 1, jitterSeconds: 0, timeoutSeconds: 2 }
`,
    );
    const svc = await startService(config, join(dir, 'hang'));
    try {
      await waitState(svc, GPT4O, 'healthy');
      await waitState(svc, CLAUDE, 'healthy');
      await setSimModel(sim, 'gpt-4o-mini', { hang: true });

      // A manual probe joins or starts one probe; either way it ends at the 2 s timeout.
      const t0 = Date.now();
      const manual = await json(`${svc.url}/v1/probes`, { method: 'POST', body: { models: [MINI] } });
      const tookMs = Date.now() - t0;
      expect(manual.status).toBe(200);
      expect(manual.body.results[0]).toMatchObject({ modelId: MINI, probed: true, outcome: 'timeout' });
      expect(manual.body.results[0].latencyMs).toBeGreaterThanOrEqual(1_900);
      expect(manual.body.results[0].latencyMs).toBeLessThan(3_000);
      expect(tookMs).toBeLessThan(2 * 2_000 + 1_500);
      await waitFor(
        'lastError.outcome timeout',
        async () => (await health(svc, MINI)).lastError?.outcome === 'timeout',
        10_000,
      );

      // Over a 9 s window, a probe takes 2 s (timeout) then waits 1-2 s: at most 4 may start.
      // Overlapping probes (one per second) would send about 9.
      const hangsBefore = await simCount('gpt-4o-mini', 'hang');
      const okBefore = {
        gpt: await simCount('gpt-4o', 'success'),
        claude: await simCount('claude-sonnet-4', 'success'),
      };
      const windowStart = Date.now();
      // Concurrent manual probes during the window join the probe in flight instead of adding one.
      await Promise.all(
        [1, 2, 3].map(() => json(`${svc.url}/v1/probes`, { method: 'POST', body: { models: [MINI] } })),
      );
      await waitFor('a 9 s observation window', () => Date.now() - windowStart >= 9_000, 12_000, 200);
      const hangs = (await simCount('gpt-4o-mini', 'hang')) - hangsBefore;
      const elapsedS = (Date.now() - windowStart) / 1000;
      expect(hangs, `${hangs} probes of the hung model started in ${elapsedS.toFixed(1)} s`).toBeLessThanOrEqual(
        Math.ceil(elapsedS / 3) + 1,
      );
      expect(hangs).toBeGreaterThanOrEqual(2);

      const mini = await health(svc, MINI);
      expect(mini.lastError.outcome).toBe('timeout');
      for (const [id, name, before] of [
        [GPT4O, 'gpt-4o', okBefore.gpt],
        [CLAUDE, 'claude-sonnet-4', okBefore.claude],
      ] as const) {
        const h = await health(svc, id);
        expect(h.state).toBe('healthy');
        expect(Date.now() - Date.parse(h.lastProbeAt), `${id} last probed at ${h.lastProbeAt}`).toBeLessThan(3_000);
        expect((await simCount(name, 'success')) - before).toBeGreaterThanOrEqual(4);
      }
    } finally {
      await svc.stop('SIGKILL');
      await json(`${sim.url}/admin/reset`, { method: 'POST' });
    }
  });
});

describe('when the service is killed during a burst of fallbacks', () => {
  it('every fallback event whose start was answered 201 is in the store after a restart on the same DATA_DIR', async () => {
    const config = writeConfig(
      'burst',
      `
probes: { intervalSeconds: 1, unhealthyIntervalSeconds: 1, jitterSeconds: 0, timeoutSeconds: 2 }
health: { unhealthyConsecutiveFailures: 1 }
`,
    );
    const dataDir = join(dir, 'burst');
    let svc = await startService(config, dataDir);
    try {
      await setSimModel(sim, 'gpt-4o', { errorRate: 1, status: 500 });
      await setSimModel(sim, 'claude-sonnet-4', { latencyMs: 300, ttftMs: 100 });
      await waitState(svc, GPT4O, 'unhealthy');
      await waitState(svc, CLAUDE, 'healthy');

      const N = 150;
      const answered: Answer[] = [];
      const calls = Array.from({ length: N }, () =>
        timedStart(svc.url, { primary: GPT4O, fallbacks: [CLAUDE, MINI] }, 30_000).then((a) => {
          answered.push(a);
          return a;
        }),
      );
      await waitFor('ten fallbacks answered', () => answered.filter((a) => a.status === 201).length >= 10, 20_000, 5);
      svc.process.kill('SIGKILL');
      await svc.stop();
      const all = await Promise.all(calls);
      const ok = all.filter((a) => a.status === 201);
      expect(ok.length).toBeGreaterThanOrEqual(10);
      expect(ok.length, 'the kill came after every start was answered: not a kill during the burst').toBeLessThan(N);
      for (const a of ok)
        expect(a.body.fallback, JSON.stringify(a.body).slice(0, 300)).toMatchObject({ reason: 'primary_unhealthy' });

      svc = await startService(config, dataDir);
      const stored = new Set<string>();
      let cursor: string | null = null;
      do {
        const page = await json(`${svc.url}/v1/fallbacks?limit=500${cursor ? `&cursor=${cursor}` : ''}`);
        expect(page.status).toBe(200);
        for (const e of page.body.events as Array<{ id: string }>) stored.add(e.id);
        cursor = page.body.nextCursor;
      } while (cursor);
      const missing = ok.map((a) => a.body.fallback.eventId as string).filter((id) => !stored.has(id));
      expect(missing).toEqual([]);
      for (const a of ok.slice(0, 20)) {
        expect((await json(`${svc.url}/v1/interviews/${a.body.interviewId}`)).status).toBe(200);
        expect((await json(`${svc.url}/v1/fallbacks/${a.body.fallback.eventId}`)).body.interviewId).toBe(
          a.body.interviewId,
        );
      }
    } finally {
      await svc.stop('SIGKILL');
    }
  });
});

describe('when the service gets SIGTERM with starts in flight', () => {
  it('finishes them with 201, refuses new ones, exits 0 promptly, and flushes their traces before exit', async () => {
    const receiver = await startOtlpReceiver();
    // One probe per model at start-up, then none: the only slow calls are the test's starts.
    const config = writeConfig(
      'sigterm',
      `
probes: { intervalSeconds: 3600, unhealthyIntervalSeconds: 3600, jitterSeconds: 0, timeoutSeconds: 5 }
`,
    );
    const svc = await startService(config, join(dir, 'sigterm'), {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_SERVICE_NAME: 'modelwatch-faults-test',
      // Only the shutdown flush can deliver the spans in time.
      OTEL_BSP_SCHEDULE_DELAY: '120000',
    });
    try {
      await waitFor('the start-up probe of gpt-4o', async () => (await health(svc, GPT4O)).lastProbeAt !== null);
      await setSimModel(sim, 'gpt-4o', { latencyMs: 1_500, ttftMs: 100 });
      const before = await simCount('gpt-4o');
      const N = 8;
      const inFlight = Array.from({ length: N }, () => timedStart(svc.url, { primary: GPT4O }, 15_000));
      await waitFor(
        'every start in flight at the provider',
        async () => (await simCount('gpt-4o')) - before >= N,
        10_000,
        20,
      );

      svc.process.kill('SIGTERM');
      await waitFor('the shutdown log line', () => svc.output().includes('"event":"shutdown"'), 5_000, 10);
      const refused = await Promise.all([1, 2, 3].map(() => postFresh(svc.url, { primary: MINI })));
      for (const r of refused) {
        if (r.status === 'refused') continue;
        expect(r.status).toBe(503);
        expect(JSON.parse(r.body).error.code).toBe('shutting_down');
      }

      const answers = await Promise.all(inFlight);
      expect(answers.map((a) => a.status)).toEqual(answers.map(() => 201));
      const lastFinished = Math.max(...answers.map((a) => a.sentAt + a.ms));
      const exit = await withDeadline(svc.exited, 15_000, null);
      expect(exit, 'the service did not exit within 15 s of the last in-flight start').not.toBeNull();
      expect(exit!.code).toBe(0);
      // Soft: a slow exit is reported, and the trace check below still runs.
      expect
        .soft(exit!.at - lastFinished, `exited ${exit!.at - lastFinished} ms after the last in-flight start finished`)
        .toBeLessThan(5_000);

      // The traces of the in-flight starts were exported before exit (the batch delay is 120 s).
      expect(receiver.exports.length).toBeGreaterThan(0);
      for (const a of answers) {
        expect(a.body.traceId).toMatch(/^[0-9a-f]{32}$/);
        expect(receiver.hasTrace(a.body.traceId), `trace ${a.body.traceId} not exported`).toBe(true);
      }
    } finally {
      await svc.stop('SIGKILL');
      await receiver.close();
    }
  });
});

describe('when start-up settings are wrong, then the process exits non-zero naming every problem without a stack trace', () => {
  const failStart = async (env: Record<string, string>): Promise<string> => {
    const result = await startServiceProcess({
      env: { AGENT_URL: agent.url, DATA_DIR: join(dir, 'never'), ...env },
    }).catch((e: Error) => e);
    if (!(result instanceof Error)) {
      await result.stop('SIGKILL');
      throw new Error('the service started');
    }
    expect(result.message).not.toMatch(/\n\s+at /);
    return result.message;
  };

  it('several bad environment settings: each variable and its reason', async () => {
    const message = await failStart({
      SERVICE_PORT: 'abc',
      LOG_LEVEL: 'loud',
      MODELWATCH_API_TOKEN: 'short',
      CONFIG: writeConfig('good', ''),
    });
    expect(message).toContain('exited 2');
    expect(message).toContain('invalid configuration environment');
    expect(message).toMatch(/SERVICE_PORT: .*number/);
    expect(message).toMatch(/LOG_LEVEL: .*(option|expected)/);
    expect(message).toContain('MODELWATCH_API_TOKEN: must be at least 16 characters');
  });

  it('a missing config file: the file and why', async () => {
    const missing = join(dir, 'no-such-config.yaml');
    const message = await failStart({ CONFIG: missing });
    expect(message).toContain('exited 2');
    expect(message).toContain(`invalid configuration ${missing}`);
    expect(message).toContain('(file): cannot read the file (ENOENT)');
  });

  it('a bad environment setting and a broken config file together: both are named', async () => {
    const broken = join(dir, 'broken-too.yaml');
    writeFileSync(broken, 'providers: {}\nmodels: []\n');
    const message = await failStart({ SERVICE_PORT: 'abc', CONFIG: broken });
    expect(message).toContain('exited 2');
    expect(message).toMatch(/SERVICE_PORT: /);
    expect(message).toContain('models: register at least one model');
  });
});

import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json } from './support/http.js';
import { REPO, type LaunchedProcess } from './support/processes.js';
import { setSimModel, startServiceProcess, startSimulatorAndAgent, testConfigText } from './support/stack.js';
import { waitFor } from './support/wait-for.js';
import { startPostgres, type PostgresServer } from './postgres-server.js';

// Several `node dist/main.js` replicas on one real PostgreSQL, with the real agent and simulator.
// This file has a PostgreSQL server of its own, because one test stops it.
const MAIN = join(REPO, 'service/dist/main.js');
const GPT4O = 'openai:gpt-4o';
const MINI = 'openai:gpt-4o-mini';
const CLAUDE = 'anthropic:claude-sonnet-4';
const MODELS = [GPT4O, MINI, CLAUDE];
// Short probe intervals keep the test short; the lease lapses after half of one (1 s).
const INTERVAL_MS = 2_000;
const JITTER_MS = 200;
const LEASE_TTL_MS = INTERVAL_MS / 2;
const PASSWORD = 'pw-never-shown-7f3a';
// The rate test watches one replica, then three, for a window each, with the spread in between: its
// time limit is the sum of those waits plus starting the replicas.
const WINDOW_MS = 12_000;
const SPREAD_WAIT_MS = 40_000;
const TWO_WINDOWS_AND_SPREAD_MS = 2 * WINDOW_MS + SPREAD_WAIT_MS + 30_000;
const PROBES = `probes: { intervalSeconds: ${INTERVAL_MS / 1000}, unhealthyIntervalSeconds: ${INTERVAL_MS / 1000}, jitterSeconds: ${JITTER_MS / 1000}, timeoutSeconds: 1 }
interviews: { deadlineSeconds: 10, attemptTimeoutSeconds: 2 }`;

let postgres: PostgresServer;
let databaseUrl: string;
let db: pg.Pool;
let sim: LaunchedProcess;
let agent: LaunchedProcess;
let config: string;
const replicas: LaunchedProcess[] = [];

async function startReplica(): Promise<LaunchedProcess> {
  const replica = await startServiceProcess({
    main: MAIN,
    env: {
      AGENT_URL: agent.url,
      CONFIG: config,
      DATABASE_URL: databaseUrl,
      DATA_DIR: mkdtempSync(join(tmpdir(), 'modelwatch-replica-')),
    },
  });
  replicas.push(replica);
  return replica;
}

const alive = () => replicas.filter((r) => r.process.exitCode === null && r.process.signalCode === null);

/** Each test needs three replicas; one that killed a replica starts its own replacement here. */
async function threeReplicas(): Promise<LaunchedProcess[]> {
  while (alive().length < 3) await startReplica();
  return alive();
}

interface ProbeRow {
  model_id: string;
  replica_id: string;
  at: number;
  latency: number;
}

/** Every probe any replica sent, from the shared samples table: who, which model, when it ended. */
async function probesSince(since: number): Promise<ProbeRow[]> {
  const { rows } = await db.query<{ model_id: string; replica_id: string; at: string; latency: string }>(
    `SELECT model_id, replica_id, (body->>'at')::float8 AS at, (body->>'latencyMs')::float8 AS latency
     FROM health_samples WHERE body->>'source' = 'probe' AND (body->>'at')::float8 >= $1 ORDER BY seq`,
    [since],
  );
  return rows.map((r) => ({ ...r, at: Number(r.at), latency: Number(r.latency) }));
}

const holderOf = async (model: string): Promise<string | null> =>
  (
    await db.query<{ holder: string }>('SELECT holder FROM probe_leases WHERE model_id = $1 AND expires_at > now()', [
      model,
    ])
  ).rows[0]?.holder ?? null;

/** A replica's id embeds its pid (see replicas.ts): which child process holds a lease. */
const replicaOfPid = (id: string): LaunchedProcess | undefined =>
  alive().find((r) => id.split('-').at(-2) === String(r.process.pid));

async function start(replica: LaunchedProcess, body: object, key?: string) {
  return json(`${replica.url}/v1/interviews`, {
    method: 'POST',
    body,
    headers: key ? { 'idempotency-key': key } : {},
  });
}

const simTotal = async (): Promise<number> => (await json(`${sim.url}/admin/stats`)).body.total as number;

beforeAll(async () => {
  if (!existsSync(MAIN)) throw new Error('service/dist/main.js is missing: run `make build` (make test does)');
  postgres = await startPostgres();
  const url = new URL(await postgres.createDatabase('modelwatch'));
  db = new pg.Pool({ connectionString: url.toString(), max: 2 });
  // The test server trusts loopback, so any password works: one here proves it is never shown.
  url.password = PASSWORD;
  databaseUrl = url.toString();
  db.on('error', () => undefined); // the outage test stops the server under it
  [sim, agent] = await startSimulatorAndAgent();
  const dir = mkdtempSync(join(tmpdir(), 'modelwatch-replicas-'));
  config = join(dir, 'replicas.yaml');
  writeFileSync(config, testConfigText(sim.port, PROBES));
});

afterAll(async () => {
  await Promise.all(replicas.map((r) => r.stop('SIGKILL')));
  await Promise.all([sim?.stop(), agent?.stop()]);
  await db?.end().catch(() => undefined);
  await postgres?.destroy();
});

describe('several replicas on one PostgreSQL', () => {
  it(
    'when three replicas run, then each model is probed at the rate of one instance and never by two at once',
    async () => {
      await startReplica();
      await waitFor('one replica holds every lease', async () => (await holderOf(CLAUDE)) !== null, 10_000);
      const aloneFrom = Date.now();
      await waitFor('a window of one replica', () => Date.now() - aloneFrom >= WINDOW_MS, WINDOW_MS + 1_000, 200);
      const alone = await probesSince(aloneFrom);
      await Promise.all([startReplica(), startReplica()]);
      // Until the leases settle, a model may move once: count from when every replica has had a round.
      await waitFor(
        'leases spread over more than one replica',
        async () => {
          const holders = new Set(await Promise.all(MODELS.map(holderOf)));
          return holders.size > 1 && !holders.has(null);
          // A round is a fraction of a second when the machine is idle; a loaded CI machine starting two
          // replicas at once can take much longer before both have had one.
        },
        SPREAD_WAIT_MS,
      );
      const sharedFrom = Date.now();
      await waitFor('a window of three replicas', () => Date.now() - sharedFrom >= WINDOW_MS, WINDOW_MS + 1_000, 200);
      const shared = (await probesSince(sharedFrom)).filter((p) => p.at < sharedFrom + WINDOW_MS);
      const aloneInWindow = alone.filter((p) => p.at < aloneFrom + WINDOW_MS);
      for (const model of MODELS) {
        const one = aloneInWindow.filter((p) => p.model_id === model).length;
        const three = shared.filter((p) => p.model_id === model).length;
        expect(one).toBeGreaterThanOrEqual(WINDOW_MS / (INTERVAL_MS + JITTER_MS) - 2);
        expect(Math.abs(three - one), `${model}: ${three} probes by three replicas, ${one} by one`).toBeLessThanOrEqual(
          1,
        );
        // Never two at once: each probe of the model ends before the next one starts, whoever sends it.
        const probes = shared.filter((p) => p.model_id === model);
        for (let i = 1; i < probes.length; i++)
          expect(probes[i]!.at - probes[i]!.latency).toBeGreaterThanOrEqual(probes[i - 1]!.at);
      }
      expect(new Set(shared.map((p) => p.replica_id)).size).toBeGreaterThan(1);
    },
    TWO_WINDOWS_AND_SPREAD_MS,
  );

  it('when a burst of starts with a failing primary is spread over three replicas, then one event per fallback and one stored transition per change', async () => {
    await threeReplicas();
    await setSimModel(sim, 'gpt-4o', { errorRate: 1, status: 500 });
    const before = await db.query<{ n: string }>('SELECT count(*) AS n FROM fallback_events');
    const answers = await Promise.all(
      Array.from({ length: 45 }, (_, i) => start(alive()[i % 3]!, { primary: GPT4O, fallbacks: [MINI] })),
    );
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 201));
    const eventIds = answers.map((a) => a.body.fallbackEvent?.id as string);
    expect(eventIds.every(Boolean)).toBe(true);
    expect(new Set(eventIds).size).toBe(answers.length);
    const { rows } = await db.query<{ id: string; interview_id: string }>(
      'SELECT id, interview_id FROM fallback_events ORDER BY seq OFFSET $1',
      [Number(before.rows[0]!.n)],
    );
    expect(rows.map((r) => r.id).sort()).toEqual([...eventIds].sort());
    expect(new Set(rows.map((r) => r.interview_id)).size).toBe(rows.length);
    // Every replica sees the primary fail (its own starts' samples and the others').
    for (const r of alive())
      await waitFor(`${r.url} sees ${GPT4O} unhealthy`, async () => {
        return (await json(`${r.url}/v1/health/${GPT4O}`)).body.state === 'unhealthy';
      });
    const history = (await json(`${alive()[0]!.url}/v1/health/${GPT4O}/history?limit=100`)).body.transitions as Array<{
      from: string;
      to: string;
    }>;
    const chain = [...history].reverse();
    expect(chain.length).toBeGreaterThan(0);
    // One row per change: each transition starts where the one before it ended; three writers would repeat rows.
    for (let i = 1; i < chain.length; i++) expect(chain[i]!.from).toBe(chain[i - 1]!.to);
    expect(chain.at(-1)!.to).toBe('unhealthy');
    await json(`${sim.url}/admin/reset`, { method: 'POST' });
  });

  it('when one replica probes a model, then every replica has the sample and the same verdict', async () => {
    const [a, ...others] = await threeReplicas();
    // One throttled probe, made by A only (the simulator answers 429 just while A asks): a replica
    // that learns of it degrades the model; one that does not keeps it healthy.
    await setSimModel(sim, 'claude-sonnet-4', { errorRate: 1, status: 429 });
    const probed = await json(`${a!.url}/v1/probes`, { method: 'POST', body: { models: [CLAUDE] } });
    await json(`${sim.url}/admin/reset`, { method: 'POST' });
    expect(probed.body.results[0].outcome).toBe('rate_limited');
    const seenByA = (await json(`${a!.url}/v1/health/${CLAUDE}`)).body;
    expect(seenByA.state).toBe('degraded');
    for (const r of others)
      await waitFor(`${r.url} has the probe ${a!.url} made`, async () => {
        const seen = (await json(`${r.url}/v1/health/${CLAUDE}`)).body;
        // At or after A's probe: a scheduled probe may land in between, on any replica.
        return Date.parse(seen.lastProbeAt) >= Date.parse(seenByA.lastProbeAt) && seen.state === 'degraded';
      });
  });

  it('when one idempotency key is retried on every replica, then all get the same interview and one is stored', async () => {
    await threeReplicas();
    const answers = await Promise.all(
      alive().flatMap((r) => [
        start(r, { primary: MINI }, 'retry-everywhere'),
        start(r, { primary: MINI }, 'retry-everywhere'),
      ]),
    );
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 201));
    expect(new Set(answers.map((a) => a.body.interviewId)).size).toBe(1);
    const { rows } = await db.query("SELECT id FROM interviews WHERE idempotency_key = 'retry-everywhere'");
    expect(rows).toHaveLength(1);
  });

  it('when the replica probing a model is killed with SIGKILL, then another probes it within one interval', async () => {
    await threeReplicas();
    const holder = await waitFor('a holder of the lease', () => holderOf(MINI));
    const victim = replicaOfPid(holder);
    expect(victim, `lease holder ${holder} is one of the replicas`).toBeDefined();
    await victim!.stop('SIGKILL');
    const killedAt = Date.now();
    const next = await waitFor(
      'a probe of the model by another replica',
      async () => (await probesSince(killedAt)).find((p) => p.model_id === MINI && p.replica_id !== holder),
      INTERVAL_MS * 3,
    );
    // Lease lapse (1 s) + a round (0.25 s) + the probe itself; due at most one interval (plus jitter) after the last.
    expect(next.at - killedAt).toBeLessThanOrEqual(INTERVAL_MS + JITTER_MS + 1_000);
  });

  it('when a replica is killed with SIGKILL during a burst, then every acknowledged start and event is in the database', async () => {
    const targets = await threeReplicas();
    await setSimModel(sim, 'gpt-4o', { errorRate: 1, status: 500 });
    const victim = targets[1]!;
    const sent: Array<Promise<Awaited<ReturnType<typeof start>> | null>> = [];
    for (let i = 0; i < 60; i++) {
      if (i === 30) void victim.stop('SIGKILL');
      sent.push(start(targets[i % 3]!, { primary: GPT4O, fallbacks: [MINI] }).catch(() => null));
      await new Promise((r) => setTimeout(r, 20)); // open loop: 50 starts/s whatever the answers
    }
    const acknowledged = (await Promise.all(sent)).filter((a) => a?.status === 201);
    expect(acknowledged.length).toBeGreaterThan(30);
    const ids = acknowledged.map((a) => a!.body.interviewId as string);
    const events = acknowledged.map((a) => a!.body.fallbackEvent?.id as string).filter(Boolean);
    const stored = await db.query<{ id: string }>('SELECT id FROM interviews WHERE id = ANY($1)', [ids]);
    const storedEvents = await db.query<{ id: string }>('SELECT id FROM fallback_events WHERE id = ANY($1)', [events]);
    expect(stored.rows.length).toBe(ids.length);
    expect(storedEvents.rows.length).toBe(events.length);
    await json(`${sim.url}/admin/reset`, { method: 'POST' });
  });

  it('when the database is stopped for 10 s, then /readyz says so, starts answer 503 without an LLM call, and all recover', async () => {
    const running = await threeReplicas();
    const pids = running.map((r) => r.process.pid);
    await postgres.stop();
    const stoppedAt = Date.now();
    for (const r of running)
      await waitFor(`${r.url}/readyz reports the database`, async () => {
        const ready = await json(`${r.url}/readyz`);
        return ready.status === 503 && /storage: PostgreSQL at .* is unreachable/.test(ready.body.reason as string);
      });
    // A probe sent before the outage was seen may still land; no lease outlives LEASE_TTL_MS without the database.
    await waitFor('the leases have lapsed', () => Date.now() - stoppedAt > LEASE_TTL_MS + 250, 5_000, 50);
    const callsBefore = await simTotal();
    for (const r of running) {
      const refused = await start(r, { primary: MINI });
      expect(refused.status).toBe(503);
      expect(refused.body.error.code).toBe('storage_unavailable');
      expect(JSON.stringify(refused.body)).not.toContain(PASSWORD);
    }
    expect((await json(`${running[0]!.url}/readyz`)).body.reason).not.toContain(PASSWORD);
    const scrape = await (await fetch(`${running[0]!.url}/metrics`)).text();
    expect(scrape).toContain('modelwatch_storage_healthy{reason="unreachable"} 0');
    expect(await simTotal()).toBe(callsBefore);
    await waitFor('10 s of outage', () => Date.now() - stoppedAt >= 10_000, 12_000, 200);
    await postgres.start();
    for (const r of running) {
      await waitFor(`${r.url} ready again`, async () => (await json(`${r.url}/readyz`)).status === 200, 20_000, 200);
      expect((await start(r, { primary: MINI })).status).toBe(201);
    }
    const resumedAt = Date.now();
    await waitFor('probes resume', async () => (await probesSince(resumedAt)).length > 0, INTERVAL_MS * 5);
    expect(alive().map((r) => r.process.pid)).toEqual(pids);
    for (const r of replicas) expect(r.output()).not.toContain(PASSWORD);
  });

  it('when a reload adds a model and a later one removes it, then one replica probes it and then none', async () => {
    const running = await threeReplicas();
    const ADDED = 'openai:gpt-4.1-mini';
    const original = readFileSync(config, 'utf8');
    const reloadAll = async () => {
      // /healthz answers before start-up is done, and a SIGHUP before then is deferred to its end: wait for it.
      for (const r of running) await waitFor(`${r.url} fully started`, () => r.output().includes('"event":"started"'));
      for (const r of running) r.process.kill('SIGHUP');
      for (const r of running)
        await waitFor(
          `${r.url} applied the reload`,
          async () =>
            ((await json(`${r.url}/v1/models`)).body.models as Array<{ id: string }>).some((m) => m.id === ADDED) ===
            readFileSync(config, 'utf8').includes(ADDED),
        );
    };
    writeFileSync(config, original.replace('models:\n', `models:\n  - { id: "${ADDED}", tier: small }\n`));
    const addedAt = Date.now();
    try {
      await reloadAll();
      // No restart: the replicas take the new model into their leases and one of them probes it.
      const holder = await waitFor("a replica holds the new model's lease", () => holderOf(ADDED), INTERVAL_MS * 5);
      expect(replicaOfPid(holder), `lease holder ${holder} is one of the replicas`).toBeDefined();
      await waitFor(
        'a probe of the new model',
        async () => (await probesSince(addedAt)).some((p) => p.model_id === ADDED),
        INTERVAL_MS * 5,
      );
    } finally {
      writeFileSync(config, original);
      await reloadAll();
    }
    // Removed: its lease is handed back at the next round and nobody probes it any more.
    await waitFor('the lease of the removed model is gone', async () => (await holderOf(ADDED)) === null, 10_000);
    const quietFrom = Date.now() + LEASE_TTL_MS;
    await waitFor('two intervals after the removal', () => Date.now() - quietFrom >= 2 * INTERVAL_MS, 10_000, 200);
    expect((await probesSince(quietFrom)).filter((p) => p.model_id === ADDED)).toEqual([]);
  });

  it('when a second process starts on the same SQLite data directory, then it is refused with the file, the holder and the way out', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'modelwatch-single-'));
    const env = { AGENT_URL: agent.url, CONFIG: config, DATA_DIR: dataDir, DATABASE_URL: '' };
    const first = await startServiceProcess({ main: MAIN, env });
    try {
      const second = startServiceProcess({ main: MAIN, env });
      await expect(second).rejects.toThrow(
        `${join(dataDir, 'modelwatch.db')} is in use by another modelwatch process (pid ${first.process.pid}); ` +
          'one process per SQLite data directory: use the PostgreSQL store for several replicas',
      );
      expect((await json(`${first.url}/readyz`)).status).toBe(200);
    } finally {
      await first.stop();
    }
  });
});

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json } from './support/http.js';
import { freePort, REPO } from './support/processes.js';
import { waitFor } from './support/wait-for.js';

// The README's curl walkthrough, verbatim, against `make run`'s own script (scripts/run.sh) with its
// defaults: demo config, demo traffic on, and the demo's faults (claude overloaded, gpt-4o slow)
// switched on from the first second, so the walkthrough is shown to work in the middle of the demo.
// Only the ports and the data directory differ, and the scenario's timing.

/** The README's walkthrough: each ```sh block and the ```json block after it (one JSON document a line). */
export function walkthroughSteps(readme: string): Array<{ script: string; expected: string[] | null }> {
  const section = readme.split('## The flow, with curl')[1]!.split('\n## ')[0]!;
  const blocks = [...section.matchAll(/```(sh|json)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1]!, body: m[2]! }));
  return blocks.flatMap((b, i) => {
    if (b.lang !== 'sh') return [];
    const next = blocks[i + 1];
    const expected = next?.lang === 'json' ? next.body.trim().split('\n') : null;
    return [{ script: b.body, expected }];
  });
}

/** Does `actual` match `expected`, where "…" in an expected string stands for any text? */
export function matches(expected: unknown, actual: unknown): boolean {
  if (typeof expected === 'string' && expected.includes('…')) {
    const pattern = expected.split('…').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    return typeof actual === 'string' && new RegExp(`^${pattern.join('[\\s\\S]*')}$`).test(actual);
  }
  if (Array.isArray(expected))
    return (
      Array.isArray(actual) && actual.length === expected.length && expected.every((e, i) => matches(e, actual[i]))
    );
  if (expected && typeof expected === 'object') {
    if (!actual || typeof actual !== 'object' || Array.isArray(actual)) return false;
    const keys = Object.keys(expected);
    return (
      keys.join() === Object.keys(actual).join() &&
      keys.every((k) => matches((expected as Record<string, unknown>)[k], (actual as Record<string, unknown>)[k]))
    );
  }
  return expected === actual;
}

const SCENARIO = `steps:
  - { at: 0s, model: claude-sonnet-4, set: { errorRate: 1.0, status: 529 } }
  - { at: 0s, model: gpt-4o, set: { latencyMs: 4500, jitterMs: 500, ttftMs: 1500 } }
`;

let run: ChildProcess | undefined;
let output = '';
const ports = { service: 0, agent: 0, simulator: 0 };

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'modelwatch-readme-'));
  writeFileSync(join(dir, 'demo-now.yaml'), SCENARIO);
  [ports.service, ports.agent, ports.simulator] = await Promise.all([freePort(), freePort(), freePort()]);
  run = spawn('bash', ['scripts/run.sh'], {
    cwd: REPO,
    detached: true, // its own process group, so the test can stop all three processes and the demo traffic
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      SERVICE_PORT: String(ports.service),
      AGENT_PORT: String(ports.agent),
      SIMULATOR_PORT: String(ports.simulator),
      DATA_DIR: join(dir, 'data'),
      SCENARIO: join(dir, 'demo-now.yaml'),
    },
  });
  run.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  run.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const svc = `http://127.0.0.1:${ports.service}`;
  await waitFor('make run to be up', () => output.includes('modelwatch is up'), 60_000, 200);
  // The demo is in full swing: claude is unhealthy and demo traffic is falling back.
  await waitFor(
    'claude unhealthy and a demo fallback',
    async () =>
      (await json(`${svc}/v1/health/anthropic:claude-sonnet-4`)).body.state === 'unhealthy' &&
      (await json(`${svc}/v1/fallbacks?simulationId=demo-traffic`)).body.events.length > 0,
    90_000,
    500,
  );
}, 180_000);

afterAll(async () => {
  if (!run?.pid) return;
  const exited = new Promise((r) => run!.once('exit', r));
  process.kill(-run.pid, 'SIGTERM');
  await exited;
});

describe('the README walkthrough', () => {
  it('when its blocks run in order on a default make run in the middle of the demo, then each prints what the README shows', () => {
    const steps = walkthroughSteps(readFileSync(join(REPO, 'README.md'), 'utf8'));
    expect(steps.length).toBeGreaterThanOrEqual(8);
    for (const [n, step] of steps.entries()) {
      const script = step.script
        .replaceAll('localhost:3000', `localhost:${ports.service}`)
        .replaceAll('localhost:8010', `localhost:${ports.simulator}`);
      const done = spawnSync('bash', ['-c', script], { encoding: 'utf8', timeout: 60_000 });
      const context = `block ${n}:\n${step.script}\nprinted:\n${done.stdout}\n${done.stderr}`;
      expect(done.status, context).toBe(0);
      if (!step.expected) continue;
      const lines = done.stdout.trim().split('\n');
      expect(lines.length, context).toBe(step.expected.length);
      step.expected.forEach((line, i) => {
        expect(matches(JSON.parse(line), JSON.parse(lines[i]!)), `${context}\nline ${i + 1} should match ${line}`).toBe(
          true,
        );
      });
    }
  });
});

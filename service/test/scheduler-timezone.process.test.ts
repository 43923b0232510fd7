import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json } from './support/http.js';
import { freePort, type LaunchedProcess, REPO } from './support/processes.js';
import { startServiceProcess, startSimulatorAndAgent, testConfigText } from './support/stack.js';
import { waitFor } from './support/wait-for.js';

// The probe schedule must not depend on the process time zone: with TZ=UTC+24 (a valid POSIX TZ
// string at the edge of the offset range) the real service process once spun a core in its
// scheduler. Its CPU time is read from /proc over a few seconds of idling.
const MAIN = process.env.MODELWATCH_SERVICE_MAIN ?? join(REPO, 'service/dist/main.js');
const CLOCK_TICKS_PER_SECOND = 100;
let sim: LaunchedProcess;
let agent: LaunchedProcess;
let svc: LaunchedProcess;

beforeAll(async () => {
  [sim, agent] = await startSimulatorAndAgent();
  const dir = mkdtempSync(join(tmpdir(), 'modelwatch-tz-'));
  const config = join(dir, 'config.yaml');
  writeFileSync(config, testConfigText(sim.port, 'probes: { intervalSeconds: 1, jitterSeconds: 0 }'));
  const port = await freePort();
  svc = await startServiceProcess({
    main: MAIN,
    port,
    env: { AGENT_URL: agent.url, CONFIG: config, DATA_DIR: dir, TZ: 'UTC+24' },
  });
});
afterAll(async () => {
  await Promise.all([svc?.stop(), sim?.stop(), agent?.stop()]);
});

/** User plus system CPU seconds the process has used so far. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

describe('when the process time zone is TZ=UTC+24', () => {
  it('when the service idles, then it probes on schedule and does not spin a core', async () => {
    const probed = await waitFor('two scheduled probes of openai:gpt-4o', async () => {
      const h = (await json(`${svc.url}/v1/health/openai:gpt-4o`)).body as { samples: { total: number } };
      return h.samples.total >= 2 && h;
    });
    expect(probed.samples.total).toBeGreaterThanOrEqual(2);
    const pid = svc.process.pid!;
    const cpuBefore = cpuSeconds(pid);
    const wallBefore = performance.now();
    // Not a wait for a condition: a window over which CPU use is measured.
    await new Promise((r) => setTimeout(r, 3_000));
    const share = (cpuSeconds(pid) - cpuBefore) / ((performance.now() - wallBefore) / 1000);
    // Probing three models once a second costs a few per cent; the spinning scheduler used most of a core.
    expect(share).toBeLessThan(0.25);
    expect((await json(`${svc.url}/healthz`)).status).toBe(200);
  });
});

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json } from './support/http.js';
import { freePort, type LaunchedProcess } from './support/processes.js';
import { startServiceProcess, startSimulatorAndAgent, testConfigText } from './support/stack.js';
import { waitFor } from './support/wait-for.js';

// SIGHUP on the real service process (node dist/main.js): a valid file applies, an invalid one is logged and changes nothing.
let sim: LaunchedProcess;
let agent: LaunchedProcess;
let svc: LaunchedProcess | undefined;
beforeAll(async () => {
  [sim, agent] = await startSimulatorAndAgent();
});
afterAll(async () => {
  await Promise.all([svc?.stop(), sim?.stop(), agent?.stop()]);
});

describe('SIGHUP', () => {
  it('when the service gets SIGHUP, then it reloads a valid file and keeps the old one for an invalid file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'modelwatch-hup-'));
    const file = join(dir, 'config.yaml');
    const extra = 'probes: { intervalSeconds: 600, jitterSeconds: 0 }\n';
    writeFileSync(file, testConfigText(sim.port, extra));
    const port = await freePort();
    svc = await startServiceProcess({
      port,
      env: { AGENT_URL: agent.url, CONFIG: file, DATA_DIR: join(dir, 'data') },
    });
    const ids = async () =>
      ((await json(`${svc!.url}/v1/models`)).body.models as Array<{ id: string }>).map((m) => m.id);
    await waitFor(
      'gpt-4o healthy',
      async () => (await json(`${svc!.url}/v1/health/openai:gpt-4o`)).body.state === 'healthy',
    );

    writeFileSync(file, testConfigText(sim.port, extra).replace(/^.*claude-sonnet-4.*$/m, ''));
    svc.process.kill('SIGHUP');
    await waitFor('claude removed', async () => !(await ids()).includes('anthropic:claude-sonnet-4'));
    expect((await json(`${svc.url}/v1/health/openai:gpt-4o`)).body.state).toBe('healthy');

    writeFileSync(file, 'models: []\n');
    svc.process.kill('SIGHUP');
    await waitFor('the refusal logged', () => svc!.output().includes('config_reload_refused'));
    expect(svc.output()).toContain('models: register at least one model');
    expect(await ids()).toEqual(['openai:gpt-4o', 'openai:gpt-4o-mini']);
    expect(svc.process.exitCode).toBeNull();
  });

  it('when SIGHUP comes while the service is still starting, then it survives and applies the reload once started', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'modelwatch-hup-early-'));
    const file = join(dir, 'config.yaml');
    writeFileSync(file, testConfigText(sim.port));
    let sentAt: string | null = null;
    const early = await startServiceProcess({
      // The agent holds the key, so the service warns that it is missing: its first log line, written just
      // after it read the config file and before its store opens and /healthz answers.
      env: { AGENT_URL: agent.url, CONFIG: file, DATA_DIR: join(dir, 'data'), SIMULATOR_API_KEY: '' },
      onSpawn: (child) => {
        const hangUp = (chunk: Buffer): void => {
          if (sentAt !== null) return;
          sentAt = chunk.toString();
          writeFileSync(file, testConfigText(sim.port).replace(/^.*claude-sonnet-4.*$/m, ''));
          child.kill('SIGHUP');
        };
        child.stdout!.on('data', hangUp);
        child.stderr!.on('data', hangUp);
      },
    });
    try {
      expect(sentAt, 'SIGHUP sent at the first output').not.toBeNull();
      expect(sentAt!).not.toContain('"event":"started"');
      const ids = async () =>
        ((await json(`${early.url}/v1/models`)).body.models as Array<{ id: string }>).map((m) => m.id);
      await waitFor('the deferred reload applied', async () => !(await ids()).includes('anthropic:claude-sonnet-4'));
      expect(early.output()).toContain('config_reload_deferred');
      expect(early.process.exitCode).toBeNull();
      expect(early.process.signalCode).toBeNull();
    } finally {
      await early.stop();
    }
  });
});

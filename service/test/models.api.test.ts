import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { json, metricValue, tracked } from './support/http.js';
import { type InProcess, setSimModel, startInProcess, useSimulatorAndAgent } from './support/stack.js';
import { waitFor } from './support/wait-for.js';
import { readEvents } from './sse.js';

// Models at run time against the real agent and simulator: the registry, reloads of the file, drains.
const { sim, agent } = useSimulatorAndAgent();
let svc: InProcess | undefined;
afterEach(async () => {
  await svc?.service.stop(1000);
  svc = undefined;
});

const PROVIDERS = (port: number) => `
providers:
  openai: { kind: openai, baseUrl: "http://127.0.0.1:${port}/v1", apiKeyEnv: SIMULATOR_API_KEY, headers: { x-secret-header: hunter2 } }
  anthropic: { kind: anthropic, baseUrl: "http://127.0.0.1:${port}", apiKeyEnv: SIMULATOR_API_KEY }
probes: { intervalSeconds: 600, jitterSeconds: 0 }
`;
const GPT = `  - { id: "openai:gpt-4o", tier: flagship }\n`;
const CLAUDE = `  - { id: "anthropic:claude-sonnet-4", tier: flagship }\n`;
const MINI = `  - { id: "openai:gpt-4o-mini", tier: small }\n`;

function configFile(models: string): { file: string; write(models: string, sections?: string): void } {
  const file = join(mkdtempSync(join(tmpdir(), 'modelwatch-models-')), 'config.yaml');
  const write = (m: string, sections = '') => writeFileSync(file, `${PROVIDERS(sim().port)}${sections}models:\n${m}`);
  write(models);
  return { file, write };
}
const models = async () => (await json(`${svc!.url}/v1/models`)).body.models as any[];
const health = async (id: string) => (await json(`${svc!.url}/v1/health/${id}`)).body;
const reload = () => json(`${svc!.url}/v1/admin/reload`, { method: 'POST' });
const start = (primary: string) => json(`${svc!.url}/v1/interviews`, { method: 'POST', body: { primary } });
const metric = async (line: string) => (await (await fetch(`${svc!.url}/metrics`)).text()).includes(line);

describe('models at run time', () => {
  it('when a model is added to the file and reloaded, then it starts unknown and is probed at once, and the others keep their health', async () => {
    const cfg = configFile(GPT + CLAUDE);
    svc = await startInProcess({ agentUrl: agent().url, configFile: cfg.file, scheduleProbes: true });
    await waitFor('both healthy', async () => (await models()).every((m) => m.state === 'healthy'));
    const before = await health('openai:gpt-4o');
    const stream = readEvents(`${svc.url}/v1/events`);
    await waitFor('the stream open', () => stream.comments.length > 0);

    cfg.write(GPT + CLAUDE + MINI);
    const res = await reload();
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      added: ['openai:gpt-4o-mini'],
      removed: [],
      reset: [],
      unchanged: ['openai:gpt-4o', 'anthropic:claude-sonnet-4'],
    });
    const after = await health('openai:gpt-4o');
    expect(after).toMatchObject({ state: 'healthy', since: before.since, samples: before.samples });
    await waitFor(
      'the new model probed at once',
      async () => (await health('openai:gpt-4o-mini')).state === 'healthy',
      10_000,
    );
    expect((await models()).map((m) => m.id)).toEqual([
      'openai:gpt-4o',
      'anthropic:claude-sonnet-4',
      'openai:gpt-4o-mini',
    ]);
    await waitFor('the reload on the event stream', () =>
      stream.events.some((e) => e.type === 'registry' && e.data.change === 'reload'),
    );
    const announced = stream.events.find((e) => e.type === 'registry')!.data;
    stream.close();
    expect(announced).toMatchObject({
      added: ['openai:gpt-4o-mini'],
      models: [...res.body.unchanged, ...res.body.added],
    });
  });

  it('when a model is removed from the file and reloaded, then it is neither listed nor chosen', async () => {
    const cfg = configFile(GPT + CLAUDE);
    svc = await startInProcess({ agentUrl: agent().url, configFile: cfg.file });
    cfg.write(GPT);
    expect((await reload()).body).toMatchObject({ removed: ['anthropic:claude-sonnet-4'] });
    expect((await models()).map((m) => m.id)).toEqual(['openai:gpt-4o']);
    expect((await start('anthropic:claude-sonnet-4')).status).toBe(422);
    expect(await metric('modelwatch_model_health_state{model="anthropic:claude-sonnet-4"')).toBe(false);
  });

  it('when a model is removed while probes run on schedule, then it is probed no more', async () => {
    const cfg = configFile(GPT + CLAUDE);
    const fast = (m: string) =>
      `${PROVIDERS(sim().port).replace('intervalSeconds: 600', 'intervalSeconds: 1')}models:\n${m}`;
    writeFileSync(cfg.file, fast(GPT + CLAUDE));
    svc = await startInProcess({ agentUrl: agent().url, configFile: cfg.file, scheduleProbes: true });
    const calls = async (model: string): Promise<number> =>
      ((await json(`${sim().url}/admin/stats`)).body.models[model]?.total as number | undefined) ?? 0;
    await waitFor('both probed', async () => (await calls('gpt-4o')) > 0 && (await calls('claude-sonnet-4')) > 0);

    writeFileSync(cfg.file, fast(GPT));
    expect((await reload()).body.removed).toEqual(['anthropic:claude-sonnet-4']);
    // One more probe of the model that stays lets a probe of the removed one that was under way land.
    const kept = await calls('gpt-4o');
    await waitFor('gpt-4o probed again', async () => (await calls('gpt-4o')) > kept);
    const removedCalls = await calls('claude-sonnet-4');
    const later = await calls('gpt-4o');
    await waitFor('three more probes of gpt-4o', async () => (await calls('gpt-4o')) >= later + 3, 15_000);
    expect(await calls('claude-sonnet-4')).toBe(removedCalls);
  });

  it('when the new file is invalid, then the reload is refused with file, field and reason, and nothing changes', async () => {
    const cfg = configFile(GPT + CLAUDE);
    svc = await startInProcess({ agentUrl: agent().url, configFile: cfg.file });
    cfg.write(`  - { id: "openai:not an id" }\n`);
    const res = await reload();
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('invalid_config');
    expect(res.body.error.message).toContain(`invalid configuration ${cfg.file}:`);
    expect(res.body.error.details.problems).toEqual([
      'models[0].id: must be "provider:model" (letters, digits, ".", "_", "-"), e.g. openai:gpt-4o',
    ]);
    expect((await models()).map((m) => m.id)).toEqual(['openai:gpt-4o', 'anthropic:claude-sonnet-4']);
    expect(await metric('modelwatch_config_reloads_total{result="refused"} 1')).toBe(true);
  });

  it('when the start limits are changed in the file and reloaded, then they apply at once, with no restart', async () => {
    const cfg = configFile(GPT);
    svc = await startInProcess({ agentUrl: agent().url, configFile: cfg.file, scheduleProbes: true });
    await waitFor('healthy', async () => (await models()).every((m) => m.state === 'healthy'));
    cfg.write(GPT, 'interviews: { maxInFlightPerModel: 1, retryAfterSeconds: 3 }\n');
    const res = await reload();
    expect(res.status).toBe(200);
    expect(res.body.restartNeeded).toEqual([]);

    await setSimModel(sim(), 'gpt-4o', { latencyMs: 4000, ttftMs: 20 });
    const held = tracked(start('openai:gpt-4o'));
    await waitFor(
      '1 start in flight',
      async () => (await metricValue(svc!.url, 'modelwatch_interview_starts_in_flight')) === 1,
    );
    const refused = await start('openai:gpt-4o');
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('3');
    expect(refused.body.error.details).toMatchObject({
      reason: 'model_limit',
      limit: 'interviews.maxInFlightPerModel',
    });
    expect(held.settled()).toBe(false);
  });

  it('when the registry is read, then it shows the endpoint, probe plan and thresholds, and no secret', async () => {
    svc = await startInProcess({ agentUrl: agent().url, configFile: configFile(GPT).file });
    const [gpt] = await models();
    expect(gpt).toMatchObject({
      id: 'openai:gpt-4o',
      model: 'gpt-4o',
      tier: 'flagship',
      endpoint: { kind: 'openai', apiKeyEnv: 'SIMULATOR_API_KEY', headerNames: ['x-secret-header'] },
      probe: { intervalSeconds: 600, timeoutSeconds: 10, maxTokens: 1 },
      thresholds: { latencySloMs: 3000, unhealthyConsecutiveFailures: 3 },
      drain: { drained: false, reason: null, since: null },
    });
    expect(JSON.stringify(gpt)).not.toContain('hunter2');
    expect(JSON.stringify(gpt)).not.toContain('sim-key');
  });

  it('when a model is drained, then starts avoid it, it is still probed, it shows as drained, and a restart keeps the drain', async () => {
    const cfg = configFile(GPT + CLAUDE);
    const dataDir = mkdtempSync(join(tmpdir(), 'modelwatch-drain-'));
    svc = await startInProcess({ agentUrl: agent().url, configFile: cfg.file, dataDir });
    const drained = await json(`${svc.url}/v1/models/openai:gpt-4o/drain`, {
      method: 'POST',
      body: { reason: 'provider maintenance' },
    });
    expect(drained.status).toBe(200);
    expect(drained.body.drain).toMatchObject({ drained: true, reason: 'provider maintenance' });

    const moved = await start('openai:gpt-4o');
    expect(moved.body).toMatchObject({ model: 'anthropic:claude-sonnet-4', fallback: { reason: 'primary_drained' } });
    const probed = await json(`${svc.url}/v1/probes`, { method: 'POST', body: { models: ['openai:gpt-4o'] } });
    expect(probed.body.results[0]).toMatchObject({ probed: true, outcome: 'success' });
    expect(await metric('modelwatch_model_drained{model="openai:gpt-4o"} 1')).toBe(true);
    expect((await health('openai:gpt-4o')).drain).toMatchObject({ drained: true, reason: 'provider maintenance' });

    await svc.service.stop(1000);
    svc = await startInProcess({ agentUrl: agent().url, configFile: cfg.file, dataDir });
    expect((await models())[0].drain).toMatchObject({ drained: true, reason: 'provider maintenance' });
    expect((await start('openai:gpt-4o')).body.model).toBe('anthropic:claude-sonnet-4');

    await json(`${svc.url}/v1/models/openai:gpt-4o/undrain`, { method: 'POST', body: { reason: 'done' } });
    expect((await start('openai:gpt-4o')).body).toMatchObject({ model: 'openai:gpt-4o', usedFallback: false });
  });

  it('when a drain names no reason or an unknown model, then it is refused naming the field', async () => {
    svc = await startInProcess({ agentUrl: agent().url, configFile: configFile(GPT).file });
    const noReason = await json(`${svc.url}/v1/models/openai:gpt-4o/drain`, { method: 'POST', body: {} });
    expect(noReason.status).toBe(400);
    expect(noReason.body.error.details.fields[0].field).toBe('reason');
    const unknown = await json(`${svc.url}/v1/models/openai:nope/drain`, { method: 'POST', body: { reason: 'x' } });
    expect(unknown.status).toBe(404);
  });
});

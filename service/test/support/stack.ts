// Modelwatch's own processes for tests, all through the one launcher (processes.ts): the provider
// simulator and the agent as real Python processes, the service as `node dist/main.js` or in this
// process, each on a free port.
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { loadConfigFile, parseConfigText } from '../../src/config/load.js';
import { startService, type RunningService } from '../../src/start.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { createRegistry } from '../../src/telemetry/metrics.js';
import { startTracing } from '../../src/telemetry/tracing.js';
import { json } from './http.js';
import { freePort, launch, REPO, type LaunchedProcess, type LaunchOptions } from './processes.js';

export const PYTHON = join(REPO, '.venv/bin/python');
/** The built service; MODELWATCH_SERVICE_MAIN runs the process tests against another build (e.g. one with a fix to try). */
export const SERVICE_MAIN = process.env.MODELWATCH_SERVICE_MAIN ?? join(REPO, 'service/dist/main.js');

/** Spans of every in-process service of this test file (one global tracer provider per worker). */
export const spans = new InMemorySpanExporter();
/** The shared secret between service and agent: every child process and in-process service gets it. */
export const AGENT_TOKEN = `agent-test-token-${randomUUID()}`;
let tracingStarted = false;

export async function startSimulator(opts: { port?: number } = {}): Promise<LaunchedProcess> {
  const port = opts.port ?? (await freePort());
  return launch({
    command: PYTHON,
    args: ['-m', 'simulator'],
    env: { SIMULATOR_PORT: String(port), SCENARIO: 'none' },
    port,
  });
}

/**
 * The agent, configured with the providers of `testConfigText(simulatorPort)` as the services under test are,
 * on `port` when given (a restart on the same address), else on a free one.
 */
export async function startAgent(opts: {
  simulatorPort: number;
  port?: number;
  env?: Record<string, string>;
}): Promise<LaunchedProcess> {
  const port = opts.port ?? (await freePort());
  const config = join(mkdtempSync(join(tmpdir(), 'modelwatch-agent-')), 'config.yaml');
  writeFileSync(config, testConfigText(opts.simulatorPort));
  return launch({
    command: PYTHON,
    args: ['-m', 'agent'],
    env: {
      AGENT_PORT: String(port),
      CONFIG: config,
      SIMULATOR_API_KEY: 'sim-key',
      MODELWATCH_AGENT_TOKEN: AGENT_TOKEN,
      ...opts.env,
    },
    port,
  });
}

/** A simulator and an agent configured for it, started together. */
export async function startSimulatorAndAgent(
  agentOpts: { port?: number; env?: Record<string, string> } = {},
): Promise<[LaunchedProcess, LaunchedProcess]> {
  const simulatorPort = await freePort();
  return Promise.all([startSimulator({ port: simulatorPort }), startAgent({ simulatorPort, ...agentOpts })]);
}

/** The built service as its own process, with its own scheduler. */
/** The build's own launcher (bin/modelwatch-service: node with the service's flags) when it has one, as it ships. */
function serviceCommand(main: string): { command: string; args: string[] } {
  const launcher = join(dirname(dirname(main)), 'bin', 'modelwatch-service');
  return basename(main) === 'main.js' && existsSync(launcher)
    ? { command: launcher, args: [] }
    : { command: 'node', args: [main] };
}

export async function startServiceProcess(opts: {
  env: Record<string, string>;
  port?: number;
  main?: string;
  onSpawn?: LaunchOptions['onSpawn'];
}): Promise<LaunchedProcess> {
  const port = opts.port ?? (await freePort());
  return launch({
    ...serviceCommand(opts.main ?? SERVICE_MAIN),
    env: { SERVICE_PORT: String(port), LOG_LEVEL: 'info', MODELWATCH_AGENT_TOKEN: AGENT_TOKEN, ...opts.env },
    port,
    onSpawn: opts.onSpawn,
  });
}

/**
 * All three real processes: a simulator, an agent (its environment plus `agentEnv`) and the built
 * service with its own scheduler on `testConfigText(simulator, extra)`, in a fresh data directory.
 */
export async function startStackProcesses(
  extra: string,
  agentEnv: Record<string, string> = {},
): Promise<{ sim: LaunchedProcess; agent: LaunchedProcess; svc: LaunchedProcess }> {
  if (!existsSync(SERVICE_MAIN)) throw new Error('service/dist/main.js is missing: run `make build` (make test does)');
  const [sim, agent] = await startSimulatorAndAgent({ env: agentEnv });
  const dir = mkdtempSync(join(tmpdir(), 'modelwatch-stack-'));
  writeFileSync(join(dir, 'config.yaml'), testConfigText(sim.port, extra));
  const svc = await startServiceProcess({
    env: { AGENT_URL: agent.url, CONFIG: join(dir, 'config.yaml'), DATA_DIR: join(dir, 'data') },
  }).catch(async (err: unknown) => {
    await Promise.all([sim.stop(), agent.stop()]);
    throw err;
  });
  return { sim, agent, svc };
}

/** A config for tests: the demo's models on the given simulator, with the given extra YAML. */
export function testConfigText(simulatorPort: number, extra = ''): string {
  return `
providers:
  openai: { kind: openai, baseUrl: "http://127.0.0.1:${simulatorPort}/v1", apiKeyEnv: SIMULATOR_API_KEY }
  anthropic: { kind: anthropic, baseUrl: "http://127.0.0.1:${simulatorPort}", apiKeyEnv: SIMULATOR_API_KEY }
models:
  - { id: "openai:gpt-4o", tier: flagship, pricing: { inputPerMillion: 2.5, outputPerMillion: 10 } }
  - { id: "openai:gpt-4o-mini", tier: small }
  - { id: "anthropic:claude-sonnet-4", tier: flagship }
${extra}
`;
}

export function captureLogs(): { stream: Writable; text: () => string } {
  let text = '';
  return {
    stream: new Writable({
      write(chunk, _enc, cb) {
        text += chunk.toString();
        cb();
      },
    }),
    text: () => text,
  };
}

export interface InProcess {
  service: RunningService;
  url: string;
  logs: () => string;
  dataDir: string;
}

/** The service in this process on port 0, probes driven by the test through POST /v1/probes. */
export async function startInProcess(opts: {
  agentUrl: string;
  /** The config itself, or (configFile) a file to load it from, which also enables reloads. */
  configText?: string;
  configFile?: string;
  dataDir?: string;
  apiToken?: string;
  agentToken?: string;
  stream?: { maxBufferedBytes?: number; heartbeatMs?: number };
  scheduleProbes?: boolean;
  historySampleMs?: number;
}): Promise<InProcess> {
  if (!tracingStarted) {
    startTracing({
      serviceName: 'modelwatch-service-test',
      exportEnabled: false,
      spanProcessor: new SimpleSpanProcessor(spans),
    });
    tracingStarted = true;
  }
  const logs = captureLogs();
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'modelwatch-test-'));
  const service = await startService(
    {
      config: opts.configFile
        ? loadConfigFile(opts.configFile, {})
        : parseConfigText('test.yaml', opts.configText ?? '', {}),
      ...(opts.configFile
        ? { configFile: opts.configFile, loadConfig: () => loadConfigFile(opts.configFile!, {}) }
        : {}),
      stream: opts.stream,
      historySampleMs: opts.historySampleMs,
      agentUrl: opts.agentUrl,
      agentToken: opts.agentToken ?? AGENT_TOKEN,
      dataDir,
      logger: createLogger('info', logs.stream),
      apiToken: opts.apiToken,
      metricsRegistry: createRegistry(),
    },
    { port: 0, host: '127.0.0.1' },
    opts.scheduleProbes ?? false,
  );
  return { service, url: `http://127.0.0.1:${service.port}`, logs: logs.text, dataDir };
}

/**
 * Two services on one model and a dead agent (for answers that must not need one), open and behind
 * `apiToken`, for the whole test file: started before its tests, stopped after them.
 */
export function useServicesOnDeadAgent(apiToken: string): { open: InProcess; secured: InProcess } {
  const services = {} as { open: InProcess; secured: InProcess };
  beforeAll(async () => {
    const agentUrl = `http://127.0.0.1:${await freePort()}`;
    const configText = testConfigText(1);
    [services.open, services.secured] = await Promise.all([
      startInProcess({ agentUrl, configText }),
      startInProcess({ agentUrl, configText, apiToken }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([services.open?.service.stop(500), services.secured?.service.stop(500)]);
  });
  return services;
}

export async function setSimModel(
  sim: LaunchedProcess,
  model: string,
  settings: Record<string, unknown>,
): Promise<void> {
  const res = await json(`${sim.url}/admin/models/${model}`, { method: 'PUT', body: settings });
  if (res.status !== 200) throw new Error(`simulator admin answered ${res.status}: ${JSON.stringify(res.body)}`);
}

/** A real simulator and agent for the whole test file, reset after each test. */
export function useSimulatorAndAgent(): { sim: () => LaunchedProcess; agent: () => LaunchedProcess } {
  let sim: LaunchedProcess | undefined;
  let agent: LaunchedProcess | undefined;
  beforeAll(async () => {
    [sim, agent] = await startSimulatorAndAgent();
  });
  afterAll(async () => {
    await Promise.all([sim?.stop(), agent?.stop()]);
  });
  afterEach(async () => {
    if (sim) await json(`${sim.url}/admin/reset`, { method: 'POST' });
  });
  return { sim: () => sim!, agent: () => agent! };
}

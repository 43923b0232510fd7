import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { loadConfigFile, parseConfigText } from '../src/config/load.js';
import { startService, type RunningService } from '../src/start.js';
import { createLogger } from '../src/telemetry/logger.js';
import { createRegistry } from '../src/telemetry/metrics.js';
import { startTracing } from '../src/telemetry/tracing.js';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';

/** Spans of every in-process service of this test file (one global tracer provider per worker). */
export const spans = new InMemorySpanExporter();
let tracingStarted = false;

/** Starts the real processes the service talks to, on free ports, and waits on conditions, never on sleeps. */

export const REPO = resolve(import.meta.dirname, '../..');
export const PYTHON = join(REPO, '.venv/bin/python');

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

export async function waitFor<T>(
  what: string,
  check: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs = 20_000,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${lastError instanceof Error ? `: ${lastError.message}` : ''}`,
  );
}

export interface ChildHandle {
  port: number;
  url: string;
  process: ChildProcess;
  output: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function startChild(
  command: string,
  args: string[],
  env: Record<string, string>,
  port: number,
  healthPath = '/healthz',
): Promise<ChildHandle> {
  const child = spawn(command, args, { cwd: REPO, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const url = `http://127.0.0.1:${port}`;
  const ready = waitFor(
    `${command} ${args.join(' ')} on ${url}${healthPath}`,
    async () => child.exitCode === null && (await fetch(`${url}${healthPath}`)).ok,
  );
  const died = exited.then((code) => {
    throw new Error(`exited ${code}: ${output.slice(-2000)}`);
  });
  await Promise.race([ready, died]);
  died.catch(() => undefined);
  return {
    port,
    url,
    process: child,
    output: () => output,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

export async function startSimulator(): Promise<ChildHandle> {
  const port = await freePort();
  return startChild(PYTHON, ['-m', 'simulator'], { SIMULATOR_PORT: String(port), SCENARIO: 'none' }, port);
}

export async function startAgent(extraEnv: Record<string, string> = {}): Promise<ChildHandle> {
  const port = await freePort();
  return startChild(
    PYTHON,
    ['-m', 'agent'],
    { AGENT_PORT: String(port), SIMULATOR_API_KEY: 'sim-key', ...extraEnv },
    port,
  );
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

export async function json(
  url: string,
  init: Omit<RequestInit, 'body'> & { body?: unknown } = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  const body = init.body === undefined || typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
  const headers = {
    ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    ...(init.headers as Record<string, string> | undefined),
  };
  const res = await fetch(url, { ...init, body, headers });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON: the test sees the text */
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

export async function setSimModel(sim: ChildHandle, model: string, settings: Record<string, unknown>): Promise<void> {
  const res = await json(`${sim.url}/admin/models/${model}`, { method: 'PUT', body: settings });
  if (res.status !== 200) throw new Error(`simulator admin answered ${res.status}: ${JSON.stringify(res.body)}`);
}

/** A real simulator and agent for the whole test file, reset after each test. */
export function useSimulatorAndAgent(): { sim: () => ChildHandle; agent: () => ChildHandle } {
  let sim: ChildHandle | undefined;
  let agent: ChildHandle | undefined;
  beforeAll(async () => {
    [sim, agent] = await Promise.all([startSimulator(), startAgent()]);
  });
  afterAll(async () => {
    await Promise.all([sim?.stop(), agent?.stop()]);
  });
  afterEach(async () => {
    if (sim) await json(`${sim.url}/admin/reset`, { method: 'POST' });
  });
  return { sim: () => sim!, agent: () => agent! };
}

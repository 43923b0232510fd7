// The one process launcher of the TypeScript tests: start a command in its own process group, wait
// for it to be ready (an HTTP path answering 2xx) within a deadline, collect its output, and stop the
// whole group, so nothing a test started outlives it.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { waitFor, withDeadline } from './wait-for.js';

export const REPO = resolve(import.meta.dirname, '../../..');

/** A port free right now on 127.0.0.1, for a process that takes its port from the environment. */
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

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Epoch ms when the process exited. */
  at: number;
}

export interface LaunchedProcess {
  port: number;
  url: string;
  process: ChildProcess;
  /** stdout and stderr so far, interleaved. */
  output: () => string;
  /** Resolves when the process has exited. */
  exited: Promise<Exit>;
  /**
   * Sends `signal` to the process group, SIGKILLs the group if it has not exited within `graceMs`,
   * and resolves with the exit code (null when a signal ended it).
   */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | null>;
}

export interface LaunchOptions {
  command: string;
  args: string[];
  /** Added to this process's environment. */
  env?: Record<string, string>;
  port: number;
  /** Ready when GET http://127.0.0.1:<port><readyPath> answers 2xx. */
  readyPath?: string;
  readyTimeoutMs?: number;
  cwd?: string;
  /** Called as soon as the process is spawned, before it is ready (to signal a process still starting). */
  onSpawn?: (child: ChildProcess) => void;
}

const STOP_GRACE_MS = 10_000;
const OUTPUT_TAIL_CHARS = 2000;

/**
 * Starts the process and resolves once it is ready. Rejects, after stopping it, when it exits first
 * (with its exit code and the tail of its output) or is not ready within the deadline.
 */
export async function launch(options: LaunchOptions): Promise<LaunchedProcess> {
  const { command, args, port, readyPath = '/healthz', readyTimeoutMs = 20_000 } = options;
  const child = spawn(command, args, {
    cwd: options.cwd ?? REPO,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  options.onSpawn?.(child);
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<Exit>((r) =>
    child.once('exit', (code, signal) => {
      // Whatever the leader left behind in its group goes with it; the group id is ours only now.
      signalGroup(child, 'SIGKILL');
      r({ code, signal, at: Date.now() });
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  const handle: LaunchedProcess = {
    port,
    url,
    process: child,
    output: () => output,
    exited,
    stop: (signal = 'SIGTERM', graceMs = STOP_GRACE_MS) => stopGroup(child, exited, signal, graceMs),
  };
  const ready = waitFor(
    `${command} ${args.join(' ')} on ${url}${readyPath}`,
    async () => child.exitCode === null && (await fetch(`${url}${readyPath}`)).ok,
    readyTimeoutMs,
  );
  const died = exited.then((exit) => {
    throw new Error(`exited ${exit.code ?? exit.signal}: ${output.slice(-OUTPUT_TAIL_CHARS)}`);
  });
  try {
    await Promise.race([ready, died]);
  } catch (err) {
    await handle.stop('SIGKILL');
    throw err;
  } finally {
    died.catch(() => undefined);
    ready.catch(() => undefined);
  }
  return handle;
}

async function stopGroup(
  child: ChildProcess,
  exited: Promise<Exit>,
  signal: NodeJS.Signals,
  graceMs: number,
): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return (await exited).code;
  signalGroup(child, signal);
  // A stopped (SIGSTOP) process cannot act on the signal until it is continued.
  signalGroup(child, 'SIGCONT');
  const exit = await withDeadline(exited, graceMs, null);
  if (exit !== null) return exit.code;
  if (child.exitCode === null && child.signalCode === null) signalGroup(child, 'SIGKILL');
  return (await exited).code;
}

/** Signals every process of the child's group; the group may be gone already. */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './support/processes.js';
import { waitFor } from './support/wait-for.js';

/**
 * A real PostgreSQL server for tests: `initdb` into a temporary directory, `postgres` on a free
 * loopback port with its unix socket in that directory (so it never meets a system cluster).
 * PostgreSQL refuses to run as root, so under root (CI) it runs as the unprivileged `postgres`
 * user that Debian's package creates; otherwise as the current user.
 */

const BIN_DIRS = ['/usr/lib/postgresql/17/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/15/bin'];
const SUPERUSER = 'modelwatch';

function binary(name: string): string {
  for (const dir of BIN_DIRS) if (existsSync(join(dir, name))) return join(dir, name);
  return name; // on PATH (e.g. a non-Debian install)
}

function runAs(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const id = (flag: string) => spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
  const uid = id('-u');
  const gid = id('-g');
  if (uid.status !== 0 || gid.status !== 0)
    throw new Error('running as root and there is no "postgres" user to run PostgreSQL as: apt-get install postgresql');
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

export interface PostgresServer {
  /** Superuser URL of the `postgres` database. */
  adminUrl: string;
  port: number;
  dir: string;
  /** A fresh, empty database on this server; returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Fast shutdown (the server refuses connections); `start()` brings it back on the same port and data. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server and deletes its files. */
  destroy(): Promise<void>;
  log(): string;
}

export async function startPostgres(): Promise<PostgresServer> {
  const user = runAs();
  const dir = mkdtempSync(join(tmpdir(), 'modelwatch-pg-'));
  if (user) chownSync(dir, user.uid, user.gid);
  const dataDir = join(dir, 'data');
  const opts = { uid: user?.uid, gid: user?.gid, env: { ...process.env, LC_ALL: 'C' } };
  const init = spawnSync(
    binary('initdb'),
    ['-D', dataDir, '-U', SUPERUSER, '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-instructions'],
    { ...opts, encoding: 'utf8' },
  );
  if (init.status !== 0) throw new Error(`initdb failed (${init.status}): ${init.stderr || String(init.error)}`);
  const port = await freePort();
  const adminUrl = `postgresql://${SUPERUSER}@127.0.0.1:${port}/postgres`;
  let child: ChildProcess | null = null;
  let log = '';

  const start = async (): Promise<void> => {
    // fsync off: the tests kill processes, not machines; durability against a process crash is unchanged.
    const args = ['-D', dataDir, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1'];
    args.push('-c', 'fsync=off', '-c', 'max_connections=200');
    const proc = spawn(binary('postgres'), args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout.on('data', (d: Buffer) => (log += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (log += d.toString()));
    child = proc;
    await waitFor(
      `PostgreSQL on port ${port}`,
      async () => {
        if (proc.exitCode !== null) throw new Error(`postgres exited ${proc.exitCode}: ${log.slice(-2000)}`);
        const client = new pg.Client({ connectionString: adminUrl });
        try {
          await client.connect();
          await client.query('SELECT 1');
          return true;
        } finally {
          await client.end().catch(() => undefined);
        }
      },
      30_000,
      100,
    );
  };

  const stop = async (): Promise<void> => {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    proc.kill('SIGINT'); // PostgreSQL's "fast" shutdown: ends sessions, checkpoints, exits
    await exited;
    child = null;
  };

  await start();
  const stopOnExit = () => child?.kill('SIGQUIT');
  process.once('exit', stopOnExit);
  return {
    adminUrl,
    port,
    dir,
    createDatabase: (name: string) => createDatabase(adminUrl, name),
    stop,
    start,
    async destroy() {
      await stop();
      process.removeListener('exit', stopOnExit);
      rmSync(dir, { recursive: true, force: true });
    },
    log: () => log,
  };
}

/** A fresh, empty database named `name` on the server of `adminUrl`; returns its URL. */
export async function createDatabase(adminUrl: string, name: string): Promise<string> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

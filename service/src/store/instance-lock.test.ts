import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lockDataDir } from './instance-lock.js';

// The other process runs the built module (make test builds first), as a second service would.
const BUILT = join(import.meta.dirname, '../../dist/store/instance-lock.js');
const freshDir = () => mkdtempSync(join(tmpdir(), 'modelwatch-lock-'));

/** Holds the lock in another process, as a second service would; resolves once it holds it. */
async function holdInChild(dir: string) {
  if (!existsSync(BUILT)) throw new Error(`${BUILT} is missing: run \`make build\` (make test does)`);
  const script = `
    import(${JSON.stringify(BUILT)}).then(({ lockDataDir }) => {
      lockDataDir(process.argv[1]); process.stdout.write('locked\\n'); setInterval(() => {}, 1000);
    });`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, '--', dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('locked') && resolve());
    child.once('exit', (code) => reject(new Error(`lock holder exited ${code}: ${stderr}`)));
  });
  return child;
}

describe('one process per SQLite data directory', () => {
  it('when another process holds the data directory, then the second is refused with the file, its pid and the way out', async () => {
    const dir = freshDir();
    const holder = await holdInChild(dir);
    try {
      expect(() => lockDataDir(dir)).toThrow(
        `${join(dir, 'modelwatch.db')} is in use by another modelwatch process (pid ${holder.pid})`,
      );
      expect(() => lockDataDir(dir)).toThrow(/use the PostgreSQL store for several replicas/);
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('when the holder was killed with SIGKILL, then the next process takes the directory', async () => {
    const dir = freshDir();
    const holder = await holdInChild(dir);
    const exited = new Promise((r) => holder.once('exit', r));
    holder.kill('SIGKILL');
    await exited;
    const lock = lockDataDir(dir);
    lock.release();
  });

  it('when the data directory does not exist yet, then it is made and taken', () => {
    const dir = join(freshDir(), 'new', 'data');
    lockDataDir(dir).release();
  });

  it('when the lock is released, then the directory can be taken again', () => {
    const dir = freshDir();
    lockDataDir(dir).release();
    lockDataDir(dir).release();
  });
});

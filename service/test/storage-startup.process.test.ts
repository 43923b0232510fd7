import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../src/store/sqlite-store.js';
import { REPO } from './support/processes.js';
import { AGENT_TOKEN, testConfigText } from './support/stack.js';
import { LoopFs, loopFsUnavailable } from './loop-fs.js';

// Start-up on storage it cannot use must stop at once, naming the path, the cause and what to do,
// rather than start, report ready and fail reads later. The real process: `node dist/main.js`.
const MAIN = process.env.MODELWATCH_SERVICE_MAIN ?? join(REPO, 'service/dist/main.js');
const noLoopFs = loopFsUnavailable();
let dir: string;
let fs: LoopFs | undefined;

beforeAll(() => {
  if (!existsSync(MAIN)) throw new Error('service/dist/main.js is missing: run `make build` (make test does)');
});
afterEach(() => {
  fs?.destroy();
  fs = undefined;
});

/** Runs the service on `dataDir`; it must exit by itself (a service that starts is killed after 15 s). */
function startOn(dataDir: string): { code: number | null; stderr: string } {
  dir = mkdtempSync(join(tmpdir(), 'modelwatch-startup-'));
  const config = join(dir, 'config.yaml');
  writeFileSync(config, testConfigText(1));
  const run = spawnSync('node', [MAIN], {
    cwd: REPO,
    env: {
      ...process.env,
      SERVICE_PORT: '0',
      AGENT_URL: 'http://127.0.0.1:1',
      CONFIG: config,
      DATA_DIR: dataDir,
      MODELWATCH_AGENT_TOKEN: AGENT_TOKEN,
    },
    timeout: 15_000,
    encoding: 'utf8',
  });
  return { code: run.status, stderr: run.stderr };
}

/** A database with many pages of real records, then garbage written over two pages in the middle. */
function damagedDatabase(): string {
  const dataDir = mkdtempSync(join(tmpdir(), 'modelwatch-damaged-'));
  const store = SqliteStore.openInDir(dataDir);
  for (let i = 0; i < 400; i++)
    store.recordTransition({
      modelId: 'openai:gpt-4o',
      at: new Date(i).toISOString(),
      from: 'healthy',
      to: 'degraded',
      reason: 'x'.repeat(200),
    });
  store.close();
  const fd = openSync(join(dataDir, 'modelwatch.db'), 'r+');
  writeSync(fd, Buffer.alloc(2 * 4096, 0xa5), 0, 2 * 4096, 6 * 4096);
  closeSync(fd);
  return dataDir;
}

describe('when start-up meets storage it cannot use', () => {
  it('when the database has damaged pages, then start-up stops naming the file and what to do', () => {
    const dataDir = damagedDatabase();
    const { code, stderr } = startOn(dataDir);
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    expect(stderr).toContain(join(dataDir, 'modelwatch.db'));
    expect(stderr).toMatch(/damaged/);
    expect(stderr).toMatch(/restore it from a backup/);
  });

  it('when DATA_DIR is below a regular file, then start-up stops naming the path and the cause', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'modelwatch-notdir-')), 'plain-file');
    writeFileSync(file, 'not a directory');
    const dataDir = join(file, 'data');
    const { code, stderr } = startOn(dataDir);
    expect(code).not.toBe(0);
    expect(stderr).toContain(`data directory ${dataDir} cannot be used`);
    expect(stderr).toMatch(/ENOTDIR/);
  });

  it.skipIf(noLoopFs)(
    'when DATA_DIR is on a read-only file system, then start-up stops naming the path and the cause',
    () => {
      fs = LoopFs.create();
      fs.failToReadOnly();
      const { code, stderr } = startOn(fs.dir);
      expect(code).not.toBe(0);
      expect(code).not.toBeNull();
      expect(stderr).toContain(`data directory ${fs.dir} cannot be used`);
      expect(stderr).toMatch(/read-only/);
      rmSync(dir, { recursive: true, force: true });
    },
  );
});

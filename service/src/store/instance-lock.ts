import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

/**
 * One service process per SQLite data directory. The lock is an exclusive SQLite transaction on a
 * file of its own, held open for the life of the process: the operating system releases it when
 * the process ends, however it ends (SIGKILL included), so a stale lock cannot outlive its holder.
 * The holder's pid sits in a plain file beside it, because the locked file cannot be read.
 */
export class InstanceLockError extends Error {}

export interface InstanceLock {
  release(): void;
}

export function lockDataDir(dataDir: string, pid = process.pid): InstanceLock {
  const lockFile = join(dataDir, 'modelwatch.lock');
  const pidFile = join(dataDir, 'modelwatch.pid');
  mkdirSync(dataDir, { recursive: true });
  const db = new Database(lockFile);
  db.pragma('busy_timeout = 0');
  try {
    db.exec('BEGIN EXCLUSIVE');
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code !== 'SQLITE_BUSY') throw err;
    throw new InstanceLockError(
      `${join(dataDir, 'modelwatch.db')} is in use by another modelwatch process (${holderOf(pidFile)}); ` +
        'one process per SQLite data directory: use the PostgreSQL store for several replicas ' +
        '(store.kind: postgres, or DATABASE_URL)',
      { cause: err },
    );
  }
  writeFileSync(pidFile, `${pid}\n`);
  return {
    release() {
      if (db.open) {
        db.exec('ROLLBACK');
        db.close();
      }
    },
  };
}

function holderOf(pidFile: string): string {
  try {
    const pid = readFileSync(pidFile, 'utf8').trim();
    return /^\d+$/.test(pid) ? `pid ${pid}` : 'pid unknown';
  } catch {
    return 'pid unknown';
  }
}

import { accessSync, closeSync, constants, openSync, statSync, statfsSync, writeSync, type Stats } from 'node:fs';
import { dirname, join } from 'node:path';
import type { StorageState, StorageStatus } from './storage-errors.js';

/** Below this much free space a start is refused: one interview and its event must fit, with room to spare. */
export const MIN_FREE_BYTES = 1 << 20;

export interface FileIdentity {
  dev: number;
  ino: number;
}

export const identityOf = (s: Stats): FileIdentity => ({ dev: s.dev, ino: s.ino });

const ok: StorageStatus = { ok: true, state: 'ok', code: null, reason: 'writable' };
const unavailable = (state: StorageState, reason: string): StorageStatus => ({
  ok: false,
  state,
  code: 'storage_unavailable',
  reason,
});

const errnoOf = (err: unknown): string => (err as NodeJS.ErrnoException).code ?? String(err);

/**
 * A one-byte file beside the database, rewritten in place by every check. access(2) is not enough:
 * an ext4 file system remounted read-only after a disk error still reports itself writable, and
 * only a real write gets EROFS. Rewriting one byte of an open file costs one system call and no fsync.
 */
export class WriteProbe {
  private readonly fd: number;
  private readonly byte = Buffer.from('1');
  constructor(readonly dir: string) {
    this.fd = openSync(join(dir, '.modelwatch-write-check'), 'w');
  }

  /** Null when the write went through, else the error code (EROFS, ENOSPC, EIO...). */
  write(): string | null {
    try {
      writeSync(this.fd, this.byte, 0, 1, 0);
      return null;
    } catch (err) {
      return errnoOf(err);
    }
  }

  close(): void {
    closeSync(this.fd);
  }
}

/**
 * What the file system says about the database, without touching SQLite: the path still names the
 * file the service has open (not deleted or replaced), the directory and file accept writes, and
 * the disk has room. A few system calls, no lock: cheap enough for every start and /readyz.
 */
export function checkFileSystem(file: string, opened: FileIdentity, probe: WriteProbe): StorageStatus {
  const dir = dirname(file);
  let now: Stats;
  try {
    now = statSync(file);
  } catch (err) {
    if (errnoOf(err) === 'ENOENT')
      return unavailable(
        'file_deleted',
        `database file ${file} was deleted while the service was running: what it records now would be lost on restart; restore the file or restart the service`,
      );
    return unavailable('io_error', `cannot stat database file ${file}: ${errnoOf(err)}`);
  }
  if (now.dev !== opened.dev || now.ino !== opened.ino)
    return unavailable(
      'file_replaced',
      `database file ${file} was replaced while the service was running; restart the service to open the new one`,
    );
  for (const path of [dir, file]) {
    try {
      accessSync(path, constants.W_OK);
    } catch (err) {
      const code = errnoOf(err);
      return code === 'EROFS'
        ? unavailable('read_only', `${path} is on a read-only file system`)
        : unavailable('not_writable', `${path} is not writable (${code})`);
    }
  }
  const written = probe.write();
  if (written === 'EROFS') return unavailable('read_only', `${dir} is on a read-only file system`);
  if (written === 'ENOSPC') return unavailable('disk_full', `cannot write in ${dir} (${written})`);
  if (written) return unavailable('io_error', `cannot write in ${dir} (${written})`);
  const fs = statfsSync(dir);
  const free = fs.bavail * fs.bsize;
  if (free < MIN_FREE_BYTES)
    return unavailable(
      'disk_full',
      `the disk holding ${dir} has ${free} bytes free (at least ${MIN_FREE_BYTES} needed)`,
    );
  return ok;
}

import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

/**
 * A small ext4 file system on a loop device, so storage faults are real kernel behaviour: a full
 * disk (ENOSPC), an emergency read-only remount (ext4 `errors=remount-ro`, triggered through
 * `/sys/fs/ext4/<dev>/trigger_fs_error`, which is what a failing disk does to a mounted file
 * system; a plain `mount -o remount,ro` is refused while SQLite holds the file open for writing).
 * Needs root and loop devices; `loopFsUnavailable()` says why not when they are missing.
 */
export class LoopFs {
  private constructor(
    readonly dir: string,
    private readonly image: string,
    private readonly device: string,
  ) {}

  static create(sizeMiB = 16): LoopFs {
    const base = mkdtempSync(join(tmpdir(), 'modelwatch-loopfs-'));
    const image = join(base, 'fs.img');
    const dir = join(base, 'mnt');
    execFileSync('truncate', ['-s', `${sizeMiB}M`, image]);
    // -m 0: no blocks reserved for root, so "full" means full for the service too.
    execFileSync('mkfs.ext4', ['-q', '-F', '-m', '0', image]);
    execFileSync('mkdir', ['-p', dir]);
    execFileSync('mount', ['-o', 'loop,errors=remount-ro', image, dir]);
    const device = execFileSync('findmnt', ['-no', 'SOURCE', dir]).toString().trim();
    return new LoopFs(dir, image, device);
  }

  /** Writes a filler file until the file system answers ENOSPC. */
  fill(): void {
    const fd = openSync(join(this.dir, 'filler'), 'w');
    try {
      for (const size of [1 << 20, 1 << 12, 1 << 9]) {
        const chunk = Buffer.alloc(size, 7);
        for (;;) {
          try {
            writeSync(fd, chunk);
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break;
            throw err;
          }
        }
      }
    } finally {
      closeSync(fd);
    }
  }

  /** What ext4 does on a disk error with errors=remount-ro: every later write fails with EROFS. */
  failToReadOnly(): void {
    execFileSync('sh', ['-c', `echo modelwatch-test > /sys/fs/ext4/${basename(this.device)}/trigger_fs_error`]);
  }

  destroy(): void {
    execFileSync('umount', ['-l', this.dir]);
    rmSync(this.image, { force: true });
  }
}

/** Null when a loop file system can be mounted here; otherwise the reason, for the skip message. */
export function loopFsUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'mounting a loop file system needs root';
  try {
    LoopFs.create(8).destroy();
    return null;
  } catch (err) {
    return `cannot mount a loop file system here: ${err instanceof Error ? err.message : String(err)}`;
  }
}

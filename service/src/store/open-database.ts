import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { applySchema } from './schema.js';
import { identityOf, WriteProbe, type FileIdentity } from './storage-check.js';
import { StorageStartupError } from './storage-errors.js';
import type { CheckpointTrouble } from './wal-checkpointer.js';

export interface SqliteStoreOptions {
  /** `FULL` fsyncs every commit (survives power loss); `NORMAL` survives a process crash only. */
  synchronous?: 'FULL' | 'NORMAL';
  /** Told when deferred writes start failing, are dropped, or go through again. */
  onDeferredWrites?: (event: { err?: unknown; pending: number; dropped: number; recovered: boolean }) => void;
  /** Told when WAL checkpoints stop (or start again) being made off the event loop (wal-checkpointer.ts). */
  onCheckpointTrouble?: (trouble: CheckpointTrouble) => void;
}

/** Start-up may wait for another connection's lock; once serving, nothing does (see busy-retry.ts). */
const STARTUP_BUSY_TIMEOUT_MS = 5000;

export interface OpenedDatabase {
  db: Database.Database;
  file: string;
  /** The file opened, to tell later whether the path still names it. */
  identity: FileIdentity;
  probe: WriteProbe;
}

const causeOf = (err: unknown): string => {
  const e = err as NodeJS.ErrnoException;
  return e.code && !e.message.startsWith(e.code) ? `${e.code}: ${e.message}` : (e.message ?? String(err));
};

/** The data directory exists (created if need be), is a directory and accepts writes. */
function usableDataDir(dataDir: string): WriteProbe {
  try {
    mkdirSync(dataDir, { recursive: true });
    if (!statSync(dataDir).isDirectory()) throw new Error('not a directory');
    accessSync(dataDir, constants.W_OK);
    const probe = new WriteProbe(dataDir);
    const failed = probe.write();
    if (failed) {
      probe.close();
      throw Object.assign(new Error(`a test write failed with ${failed}`), { code: failed });
    }
    return probe;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'EROFS' ? 'it is on a read-only file system' : causeOf(err);
    throw new StorageStartupError(
      `data directory ${dataDir} cannot be used: ${why}. Set DATA_DIR to a writable directory.`,
    );
  }
}

const damaged = (file: string, detail: string): StorageStartupError =>
  new StorageStartupError(
    `database ${file} is damaged (${detail}). Stop here and keep the file: move it aside ` +
      `(mv ${file} ${file}.damaged, with its -wal and -shm files), then restore it from a backup or ` +
      `recover what is readable (sqlite3 ${file}.damaged .recover | sqlite3 ${file}); ` +
      `with no file there the service starts with an empty database.`,
  );

const isDamage = (err: unknown): boolean => /^SQLITE_(CORRUPT|NOTADB)/.test((err as { code?: string }).code ?? '');

/** `PRAGMA quick_check` reads every page once: a damaged database stops start-up instead of failing reads later. */
function checkIntegrity(db: Database.Database, file: string): void {
  const rows = db.pragma('quick_check') as Array<{ quick_check: string }>;
  const problems = rows.map((r) => r.quick_check).filter((r) => r !== 'ok');
  if (problems.length > 0) throw damaged(file, `quick_check: ${problems.slice(0, 3).join('; ')}`);
}

/** Opens (or creates) the database in `dataDir`, checked, in WAL mode, with the schema in place. */
export function openDatabase(dataDir: string, options: SqliteStoreOptions = {}): OpenedDatabase {
  const probe = usableDataDir(dataDir);
  const file = join(dataDir, 'modelwatch.db');
  let db: Database.Database;
  try {
    db = new Database(file);
  } catch (err) {
    probe.close();
    throw new StorageStartupError(`cannot open database ${file}: ${causeOf(err)}`);
  }
  try {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.synchronous ?? 'NORMAL'}`);
    db.pragma(`busy_timeout = ${STARTUP_BUSY_TIMEOUT_MS}`);
    checkIntegrity(db, file);
    applySchema(db);
    db.pragma('busy_timeout = 0');
    return { db, file, identity: identityOf(statSync(file)), probe };
  } catch (err) {
    db.close();
    probe.close();
    if (err instanceof StorageStartupError) throw err;
    if (isDamage(err)) throw damaged(file, causeOf(err));
    throw new StorageStartupError(`cannot use database ${file}: ${causeOf(err)}`);
  }
}

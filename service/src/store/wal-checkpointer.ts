import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';

/**
 * Moves the WAL's pages into the database file from a worker thread, so no commit on the event loop
 * pays for it. With SQLite's default auto-checkpoint, the commit that takes the WAL past 1,000 pages
 * copies them and fsyncs the file right there, synchronously: 4–25 ms every few seconds at 100
 * starts/s on this project's benchmark VM (`bench/sqlite_commit.mjs`, autocheckpoint 1000 against 0),
 * a stall every request in flight then waits out. A PASSIVE checkpoint on a connection of its own
 * never blocks the writer and never waits for it, and SQLite's WAL keeps committed data safe however
 * it is interrupted.
 *
 * One worker serves every database file of the process (a worker is a V8 isolate: about 9 MB of RSS
 * each). If it cannot run (it fails to start, a file cannot be opened, it dies), the event loop's
 * connections take auto-checkpointing back, so no WAL grows without bound.
 */
export const CHECKPOINT_INTERVAL_MS = 1_000;
/** SQLite's own default for `wal_autocheckpoint`, restored when the worker cannot do the work. */
export const SQLITE_AUTOCHECKPOINT_PAGES = 1_000;

export interface CheckpointTrouble {
  /** Why checkpoints are not being made off the event loop, or null when they are again. */
  reason: string | null;
}

type Command = { add: number; file: string } | { remove: number };
type Report = { id: number; reason: string | null; fatal?: boolean };

// Plain CommonJS run by the worker (evaluated, so tests running TypeScript sources need no build).
// It reports a file only when its state changes, not once a second; a file it cannot open is
// reported and dropped. With no file left it closes, and the thread ends.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const files = new Map();
const report = (id, entry, reason) => {
  if (reason !== entry.failing) parentPort.postMessage({ id, reason });
  entry.failing = reason;
};
const timer = setInterval(() => {
  for (const [id, entry] of files) {
    try {
      entry.db.pragma('wal_checkpoint(PASSIVE)');
      report(id, entry, null);
    } catch (err) {
      report(id, entry, String((err && err.message) || err));
    }
  }
}, workerData.intervalMs);
parentPort.on('message', (command) => {
  if (command.add !== undefined) {
    try {
      files.set(command.add, { db: new Database(command.file, { fileMustExist: true }), failing: null });
    } catch (err) {
      const reason = 'cannot open ' + command.file + ': ' + ((err && err.message) || err);
      parentPort.postMessage({ id: command.add, reason, fatal: true });
    }
  } else if (files.has(command.remove)) {
    files.get(command.remove).db.close();
    files.delete(command.remove);
  }
  if (files.size === 0) {
    clearInterval(timer);
    parentPort.close();
  }
});
`;

const driverPath = createRequire(import.meta.url).resolve('better-sqlite3');

interface Covered {
  db: Database.Database;
  onTrouble: (trouble: CheckpointTrouble) => void;
}

/** The process's one checkpoint worker and the files it covers; replaced by a new one once it has emptied. */
class SharedWorker {
  private readonly covered = new Map<number, Covered>();
  private lastId = 0;
  private ended = false;
  private readonly worker: Worker;

  constructor() {
    const workerData = { driver: driverPath, intervalMs: CHECKPOINT_INTERVAL_MS };
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData });
    this.worker.unref(); // a checkpoint never keeps the process alive
    this.worker.on('message', (m: Report) => this.reported(m));
    this.worker.on('error', (err) => this.failed(`the checkpoint worker failed: ${err.message}`));
    this.worker.on('exit', (code) => this.failed(`the checkpoint worker exited (code ${code})`));
  }

  get open(): boolean {
    return !this.ended;
  }

  /** Covers one connection's file; returns the id to remove it by. */
  add(file: string, covered: Covered): number {
    const id = ++this.lastId;
    covered.db.pragma('wal_autocheckpoint = 0');
    this.covered.set(id, covered);
    this.send({ add: id, file });
    return id;
  }

  remove(id: number): void {
    if (!this.covered.delete(id)) return;
    this.send({ remove: id });
    if (this.covered.size === 0) this.ended = true; // the worker closes itself; its exit is expected
  }

  private send(command: Command): void {
    this.worker.postMessage(command);
  }

  private reported({ id, reason, fatal }: Report): void {
    const covered = this.covered.get(id);
    if (!covered) return;
    if (fatal) {
      this.covered.delete(id);
      takeBack(covered, reason ?? 'unknown');
    } else covered.onTrouble({ reason });
  }

  private failed(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    for (const covered of this.covered.values()) takeBack(covered, reason);
    this.covered.clear();
    void this.worker.terminate();
  }
}

function takeBack({ db, onTrouble }: Covered, reason: string): void {
  if (db.open) db.pragma(`wal_autocheckpoint = ${SQLITE_AUTOCHECKPOINT_PAGES}`);
  onTrouble({ reason: `${reason}; the event loop checkpoints again` });
}

let shared: SharedWorker | null = null;

export class WalCheckpointer {
  private constructor(
    private readonly worker: SharedWorker,
    private readonly id: number,
  ) {}

  /** Checkpoints `file` off the event loop from now on; `db` is the event loop's connection to it. */
  static start(db: Database.Database, file: string, onTrouble: (trouble: CheckpointTrouble) => void): WalCheckpointer {
    if (!shared?.open) shared = new SharedWorker();
    return new WalCheckpointer(shared, shared.add(file, { db, onTrouble }));
  }

  /** The worker closes its connection to the file; the event loop's connection checkpoints on its own close. */
  stop(): void {
    this.worker.remove(this.id);
  }
}

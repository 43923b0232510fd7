import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';

/**
 * Moves the WAL's pages into the database file from a worker thread, so no commit on the event loop
 * pays for it. With SQLite's default auto-checkpoint, the commit that takes the WAL past 1,000 pages
 * copies them and fsyncs the file right there, synchronously: 4–15 ms every few seconds at 100
 * starts/s on this project's benchmark VM (`bench/sqlite_commit.mjs`, autocheckpoint 1000 against 0), a stall every
 * request in flight then waits out. A PASSIVE checkpoint on a connection of its own never blocks the
 * writer and never waits for it, and SQLite's WAL keeps committed data safe however it is interrupted.
 *
 * If the worker cannot run (it fails to start, or dies), the event loop's connection takes
 * auto-checkpointing back, so the WAL never grows without bound.
 */
export const CHECKPOINT_INTERVAL_MS = 1_000;
/** SQLite's own default for `wal_autocheckpoint`, restored when the worker is gone. */
export const SQLITE_AUTOCHECKPOINT_PAGES = 1_000;

export interface CheckpointTrouble {
  /** Why checkpoints are not being made off the event loop, or null when they are again. */
  reason: string | null;
}

// Plain CommonJS run by the worker (evaluated, so tests running TypeScript sources need no build).
// It tells the main thread only when its state changes, not once a second.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
let failing = null;
const checkpoint = () => {
  let reason = null;
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (err) {
    reason = String((err && err.message) || err);
  }
  if (reason !== failing) parentPort.postMessage({ reason });
  failing = reason;
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

const driverPath = createRequire(import.meta.url).resolve('better-sqlite3');

export class WalCheckpointer {
  private stopping = false;

  private constructor(
    private readonly worker: Worker,
    private readonly db: Database.Database,
    private readonly onTrouble: (trouble: CheckpointTrouble) => void,
  ) {
    worker.on('message', (m: CheckpointTrouble) => onTrouble(m));
    worker.on('error', (err) => this.takeBack(`the checkpoint worker failed: ${err.message}`));
    worker.on('exit', (code) => this.takeBack(`the checkpoint worker exited (code ${code})`));
  }

  /** Starts checkpointing `file` off the event loop; `db` is the event loop's connection to it. */
  static start(
    db: Database.Database,
    file: string,
    onTrouble: (trouble: CheckpointTrouble) => void,
    intervalMs = CHECKPOINT_INTERVAL_MS,
  ): WalCheckpointer {
    db.pragma('wal_autocheckpoint = 0');
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { driver: driverPath, file, intervalMs } });
    worker.unref(); // a checkpoint never keeps the process alive
    return new WalCheckpointer(worker, db, onTrouble);
  }

  /** Asks the worker to close its connection; the event loop's connection checkpoints on its own close. */
  stop(): void {
    if (this.stopping) return;
    this.stopping = true;
    this.worker.postMessage('stop');
  }

  private takeBack(reason: string): void {
    if (this.stopping) return;
    this.stopping = true;
    if (this.db.open) this.db.pragma(`wal_autocheckpoint = ${SQLITE_AUTOCHECKPOINT_PAGES}`);
    this.onTrouble({ reason: `${reason}; the event loop checkpoints again` });
    void this.worker.terminate();
  }
}

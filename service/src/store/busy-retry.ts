import { setTimeout as sleep } from 'node:timers/promises';
import { asStorageError, isBusy } from './storage-errors.js';

/**
 * Runs a write that must not wait on the event loop: SQLite's busy timeout is 0, so a write that
 * meets another connection's lock fails at once, and is tried again here after a timer, with the
 * event loop free in between, until `budgetMs` is spent; then it fails as storage_busy.
 */
export async function retryWhileBusy<T>(work: () => T, budgetMs: number, file: string): Promise<T> {
  const deadline = Date.now() + budgetMs;
  for (let waitMs = 5; ; waitMs = Math.min(waitMs * 2, 100)) {
    try {
      return work();
    } catch (err) {
      if (!isBusy(err) || Date.now() + waitMs > deadline) throw asStorageError(err, file);
    }
    await sleep(waitMs);
  }
}

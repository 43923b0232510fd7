import { Gauge, type Registry } from 'prom-client';

/** What the gauge needs of a storage check (store/storage-errors.ts StorageStatus has it). */
export interface StorageHealth {
  ok: boolean;
  state: string;
}

export const STORAGE_HEALTHY_METRIC = 'modelwatch_storage_healthy';

/**
 * modelwatch_storage_healthy{reason}: 1 when the store can record a start now, else 0, with the
 * reason from a closed set. Computed at scrape time by the same check /readyz and every start run
 * (a few system calls and no waiting on a lock for SQLite; the last round trip's result for
 * PostgreSQL), so it is never older than the scrape. One series at a time: the old reason goes stale.
 */
export function registerStorageHealth(registry: Registry, check: () => StorageHealth): Gauge<'reason'> {
  return new Gauge({
    name: STORAGE_HEALTHY_METRIC,
    help: 'Whether the store can record a start now (1) or not (0), and why (reason: ok, or the problem).',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      const status = check();
      this.reset();
      this.set({ reason: status.state }, status.ok ? 1 : 0);
    },
  });
}

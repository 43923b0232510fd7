import type { ConfigFile } from './config/schema.js';
import type { StoreChoice } from './config/store-choice.js';
import type { ModelRegistry } from './domain/model-registry.js';
import { createReplicas, type Replicas } from './replicas.js';
import { SyncStoreAdapter, type AsyncStore } from './store/async-store.js';
import { lockDataDir } from './store/instance-lock.js';
import { describeDatabaseUrl } from './store/postgres/connection.js';
import { PostgresStore } from './store/postgres/postgres-store.js';
import { SqliteStore } from './store/sqlite-store.js';
import type { Logger } from './telemetry/logger.js';
import type { CheckpointTrouble } from './store/wal-checkpointer.js';

/** Logs when a database's WAL checkpoints stop (or start again) being made off the event loop. */
export const logCheckpointTrouble =
  (logger: Logger, database: string) =>
  ({ reason }: CheckpointTrouble): void =>
    reason
      ? logger.warn(
          { event: 'store_checkpoint_trouble', database, reason },
          'WAL checkpoints not made off the event loop',
        )
      : logger.info({ event: 'store_checkpoint_recovered', database }, 'WAL checkpoints made off the event loop again');

/** SQLite (one process per data directory, enforced) or PostgreSQL (any number of replicas). */
async function openStore(choice: StoreChoice, logger: Logger): Promise<{ store: AsyncStore; url: string | null }> {
  if (choice.kind === 'sqlite') {
    const sqlite = SqliteStore.openInDir(choice.dataDir, {
      synchronous: choice.synchronous === 'full' ? 'FULL' : 'NORMAL',
      onDeferredWrites: (e) =>
        e.recovered
          ? logger.info({ event: 'store_deferred_written', dropped: e.dropped }, 'deferred health transitions written')
          : logger.warn(
              { event: 'store_deferred', err: e.err, pending: e.pending, dropped: e.dropped },
              'health transitions kept in memory until the store can take them',
            ),
      onCheckpointTrouble: logCheckpointTrouble(logger, 'modelwatch.db'),
    });
    // After opening, so an unusable data directory is reported by the store with its path and cause.
    let lock: ReturnType<typeof lockDataDir>;
    try {
      lock = lockDataDir(choice.dataDir);
    } catch (err) {
      sqlite.close();
      throw err;
    }
    return { store: new SyncStoreAdapter(sqlite, () => lock.release()), url: null };
  }
  const target = describeDatabaseUrl(choice.url);
  const store = await PostgresStore.open({
    url: choice.url,
    max: choice.poolSize,
    onAvailability: (s) =>
      logger[s.ok ? 'info' : 'error']({ event: 'store_availability', ok: s.ok, reason: s.reason }, 'PostgreSQL store'),
    onPoolError: (err) =>
      logger.warn({ event: 'store_connection_lost', err: err.message }, 'PostgreSQL connection lost'),
  });
  logger.info({ event: 'store', kind: 'postgres', target }, `PostgreSQL store at ${target}`);
  return { store, url: choice.url };
}

/** The store, and with PostgreSQL this replica's share of the cluster's work. */
export async function openStoreParts(
  opts: { storeChoice?: StoreChoice | undefined; dataDir: string; config: ConfigFile; logger: Logger },
  registry: ModelRegistry,
  isProbing: (modelId: string) => boolean,
): Promise<{ store: AsyncStore; replicas: Replicas | null }> {
  const choice: StoreChoice = opts.storeChoice ?? {
    kind: 'sqlite',
    dataDir: opts.dataDir,
    synchronous: opts.config.store.synchronous,
  };
  const { store, url } = await openStore(choice, opts.logger);
  const replicas =
    store instanceof PostgresStore && url
      ? createReplicas({ store, url, registry, logger: opts.logger, isProbing })
      : null;
  return { store, replicas };
}

/** Every part of the service, built and wired; nothing listens or runs yet. */

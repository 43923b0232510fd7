/**
 * What the store tells its callers when the disk or the database lets it down. The HTTP layer
 * answers these as 503 with Retry-After; they never become a bare 500.
 */
export type StorageProblemCode = 'storage_unavailable' | 'storage_busy';

/**
 * Why the store can or cannot record now, as a closed set: the `reason` label of
 * modelwatch_storage_healthy (docs/observability.md lists them; a test holds the list to this one).
 */
export const STORAGE_STATES = [
  'ok',
  'busy',
  'read_only',
  'not_writable',
  'disk_full',
  'file_deleted',
  'file_replaced',
  'damaged',
  'unreachable',
  'closed',
  'io_error',
] as const;
export type StorageState = (typeof STORAGE_STATES)[number];

export interface StorageStatus {
  ok: boolean;
  state: StorageState;
  /** Set when not ok: busy is another connection's write lock (passes); unavailable needs an operator. */
  code: StorageProblemCode | null;
  reason: string;
}

/** Seconds a client should wait before retrying: a lock passes quickly, a disk fault does not. */
export const RETRY_AFTER_SECONDS: Record<StorageProblemCode, number> = {
  storage_busy: 1,
  storage_unavailable: 5,
};

export class StorageError extends Error {
  readonly retryAfterSeconds: number;
  constructor(
    readonly code: StorageProblemCode,
    message: string,
  ) {
    super(message);
    this.name = 'StorageError';
    this.retryAfterSeconds = RETRY_AFTER_SECONDS[code];
  }
}

/** Start-up cannot use the data directory or the database: the message names the file and what to do. */
export class StorageStartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StorageStartupError';
  }
}

const sqliteCode = (err: unknown): string | null =>
  typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'string'
    ? (err as { code: string }).code
    : null;

export const isBusy = (err: unknown): boolean => /^SQLITE_(BUSY|LOCKED)/.test(sqliteCode(err) ?? '');

/** The state a SQLite error (other than a lock) leaves the store in. */
export function sqliteState(err: unknown): StorageState {
  const code = sqliteCode(err) ?? '';
  if (code.startsWith('SQLITE_FULL')) return 'disk_full';
  if (code.startsWith('SQLITE_READONLY')) return 'read_only';
  if (code.startsWith('SQLITE_CORRUPT') || code.startsWith('SQLITE_NOTADB')) return 'damaged';
  return 'io_error';
}

/** A SQLite error as the store's own, in words an operator can act on; anything else unchanged. */
export function asStorageError(err: unknown, file: string): unknown {
  const code = sqliteCode(err);
  if (!code?.startsWith('SQLITE_')) return err;
  if (isBusy(err)) return new StorageError('storage_busy', `another connection holds the write lock on ${file}`);
  const detail = err instanceof Error ? err.message : code;
  const what: Record<string, string> = {
    SQLITE_FULL: `the disk holding ${file} is full`,
    SQLITE_READONLY: `${file} is read-only`,
    SQLITE_CORRUPT: `${file} is damaged`,
    SQLITE_NOTADB: `${file} is not a SQLite database`,
  };
  const base = Object.entries(what).find(([prefix]) => code.startsWith(prefix))?.[1] ?? `cannot write ${file}`;
  return new StorageError('storage_unavailable', `${base} (${detail})`);
}

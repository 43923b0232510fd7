import { createHash } from 'node:crypto';
import { AppError } from './app-error.js';

/** JSON with object keys sorted at every level, so key order does not change a fingerprint. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** What an Idempotency-Key is bound to: the SHA-256 of the request body, keys in any order. */
export const requestFingerprint = (body: unknown): string => createHash('sha256').update(canonical(body)).digest('hex');

/** A key reused for another request is refused, as payment APIs do: replaying the first would answer the wrong thing. */
export const idempotencyKeyReused = (key: string): AppError =>
  new AppError(
    422,
    'idempotency_key_reused',
    `Idempotency-Key "${key}" was first used with a different request; send a new key for a new request`,
    { field: 'Idempotency-Key' },
  );

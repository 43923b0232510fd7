// Cursors are opaque to callers. Lists in insertion order page by row sequence number ("c" and the
// number); lists keyed by a name (simulations) page by the last key seen ("k" and the key in
// base64url). Their shapes are patterns the OpenAPI document states, so a client can tell a
// cursor from garbage without asking.
export const CURSOR_PATTERN = /^c[1-9][0-9]{0,14}$/;
export const KEY_CURSOR_PATTERN = /^k[A-Za-z0-9_-]{2,172}$/;

export const encodeCursor = (seq: number): string => `c${seq}`;

export function decodeCursor(cursor: string): number | null {
  return CURSOR_PATTERN.test(cursor) ? Number(cursor.slice(1)) : null;
}

export const encodeKeyCursor = (key: string): string => `k${Buffer.from(key).toString('base64url')}`;

export function decodeKeyCursor(cursor: string): string | null {
  return KEY_CURSOR_PATTERN.test(cursor) ? Buffer.from(cursor.slice(1), 'base64url').toString() : null;
}

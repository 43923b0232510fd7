// Cursors are opaque to callers: "c" and the row sequence number. Their shape is a pattern the
// OpenAPI document states, so a client can tell a cursor from garbage without asking.
export const CURSOR_PATTERN = /^c[1-9][0-9]{0,14}$/;

export const encodeCursor = (seq: number): string => `c${seq}`;

export function decodeCursor(cursor: string): number | null {
  return CURSOR_PATTERN.test(cursor) ? Number(cursor.slice(1)) : null;
}

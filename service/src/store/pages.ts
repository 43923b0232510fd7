import type { Page } from './records.js';

/**
 * A page holds at most `limit` items and, past the first, stops once their stored JSON passes this
 * many bytes: a page of 500 simulations of 64 KiB each would otherwise be 32 MB built in memory and
 * serialised on the event loop. The caller follows nextCursor for the rest.
 */
export const MAX_PAGE_BYTES = 1 << 20;

export interface PageRow {
  body: string;
}

/**
 * Reads rows one at a time from `rows` (a statement's iterator, asked for limit + 1 rows) and stops
 * at `limit` items or MAX_PAGE_BYTES, whichever comes first; `cursorOf` names the last row kept.
 */
export function collectPage<R extends PageRow, T>(
  rows: IterableIterator<R>,
  limit: number,
  cursorOf: (row: R) => string,
): Page<T> {
  const items: T[] = [];
  let bytes = 0;
  let last: R | undefined;
  let more = false;
  for (const row of rows) {
    if (items.length === limit || (items.length > 0 && bytes + row.body.length > MAX_PAGE_BYTES)) {
      more = true;
      break;
    }
    items.push(JSON.parse(row.body) as T);
    bytes += row.body.length;
    last = row;
  }
  return { items, nextCursor: more && last ? cursorOf(last) : null };
}

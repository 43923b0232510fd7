import { decodeCursor } from './cursor.js';
import type { FallbackFilter } from './records.js';

// Event times are stored as fixed-width ISO strings (toISOString of years 0000-9999), whose text
// order is time order. A bound is an instant; outside that range it cannot be written in the same
// form (year 10000 is "+010000-...", which sorts before "2026"), so it is decided here instead.
const FIRST_STORABLE_MS = new Date('0000-01-01T00:00:00.000Z').getTime();
const LAST_STORABLE_MS = new Date('9999-12-31T23:59:59.999Z').getTime();

export interface WhereClause {
  sql: string;
  args: unknown[];
  /** True when the bounds leave no instant at all: no query is needed. */
  empty: boolean;
}

/** The WHERE clause of a fallback-event listing: cursor, model, simulation, reason and time range. */
export function fallbackWhere(f: FallbackFilter): WhereClause {
  const where: string[] = [];
  const args: unknown[] = [];
  const add = (sql: string, ...values: unknown[]) => {
    where.push(sql);
    args.push(...values);
  };
  const cursor = f.cursor ? decodeCursor(f.cursor) : null;
  if (cursor !== null) add('seq < ?', cursor);
  if (f.model) add('(primary_model = ? OR chosen_model = ?)', f.model, f.model);
  if (f.simulationId) add('simulation_id = ?', f.simulationId);
  if (f.reason) add('reason = ?', f.reason);
  const empty =
    (f.sinceMs !== undefined && f.sinceMs > LAST_STORABLE_MS) ||
    (f.untilMs !== undefined && f.untilMs <= FIRST_STORABLE_MS);
  if (f.sinceMs !== undefined && f.sinceMs > FIRST_STORABLE_MS) add('at >= ?', new Date(f.sinceMs).toISOString());
  if (f.untilMs !== undefined && f.untilMs <= LAST_STORABLE_MS) add('at < ?', new Date(f.untilMs).toISOString());
  return { sql: where.length ? `WHERE ${where.join(' AND ')}` : '', args, empty };
}

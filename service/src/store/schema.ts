import type Database from 'better-sqlite3';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS interviews (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  idempotency_key TEXT UNIQUE,
  at TEXT NOT NULL,
  body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS fallback_events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  interview_id TEXT NOT NULL UNIQUE,
  at TEXT NOT NULL,
  simulation_id TEXT,
  primary_model TEXT NOT NULL,
  chosen_model TEXT NOT NULL,
  reason TEXT NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS fallback_events_at ON fallback_events (at);
CREATE TABLE IF NOT EXISTS health_transitions (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  model_id TEXT NOT NULL,
  at TEXT NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS health_transitions_model ON health_transitions (model_id, seq);
CREATE TABLE IF NOT EXISTS simulations (
  id TEXT PRIMARY KEY,
  body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS health_state (
  model_id TEXT PRIMARY KEY,
  saved_at TEXT NOT NULL,
  body TEXT NOT NULL
);
`;

/** Columns added after the first release: added to an older database on start. */
const ADDED_COLUMNS: Array<{ table: string; column: string; type: string }> = [
  // The request an idempotency key was first used with; null on rows written before it existed.
  { table: 'interviews', column: 'request_fingerprint', type: 'TEXT' },
];

/** Creates what is missing; safe on every start. */
export function applySchema(db: Database.Database): void {
  db.exec(SCHEMA);
  for (const { table, column, type } of ADDED_COLUMNS) {
    const columns = db.pragma(`table_info(${table})`) as Array<{ name: string }>;
    if (!columns.some((c) => c.name === column)) db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${type}`);
  }
}

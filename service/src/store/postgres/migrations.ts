import type pg from 'pg';

/**
 * The PostgreSQL schema as numbered steps. A step, once released, is never edited: a change is a new
 * step. Replicas starting together take one advisory lock, so exactly one of them applies what is
 * missing and the others find it applied.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'durable records',
    sql: `
CREATE TABLE interviews (
  seq bigserial PRIMARY KEY,
  id text NOT NULL UNIQUE,
  idempotency_key text UNIQUE,
  request_fingerprint text,
  at timestamptz NOT NULL,
  body json NOT NULL
);
CREATE TABLE fallback_events (
  seq bigserial PRIMARY KEY,
  id text NOT NULL UNIQUE,
  interview_id text NOT NULL UNIQUE REFERENCES interviews (id),
  at timestamptz NOT NULL,
  simulation_id text,
  primary_model text NOT NULL,
  chosen_model text NOT NULL,
  reason text NOT NULL,
  body json NOT NULL
);
CREATE INDEX fallback_events_at ON fallback_events (at);
CREATE TABLE health_transitions (
  seq bigserial PRIMARY KEY,
  model_id text NOT NULL,
  at timestamptz NOT NULL,
  body json NOT NULL
);
CREATE INDEX health_transitions_model ON health_transitions (model_id, seq);
CREATE TABLE simulations (
  id text PRIMARY KEY,
  created_at text NOT NULL,
  updated_at text NOT NULL,
  body json NOT NULL
);`,
  },
  {
    version: 2,
    name: 'cluster: replicas, probe leases, shared health samples',
    sql: `
CREATE TABLE replicas (
  id text PRIMARY KEY,
  started_at timestamptz NOT NULL DEFAULT now(),
  seen_at timestamptz NOT NULL
);
CREATE TABLE probe_leases (
  model_id text PRIMARY KEY,
  holder text NOT NULL,
  expires_at timestamptz NOT NULL
);
CREATE TABLE health_samples (
  seq bigserial PRIMARY KEY,
  model_id text NOT NULL,
  replica_id text NOT NULL,
  at timestamptz NOT NULL DEFAULT now(),
  body json NOT NULL
);
CREATE INDEX health_samples_at ON health_samples (at);
CREATE FUNCTION modelwatch_notify_sample() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  payload text := json_build_object(
    'seq', NEW.seq, 'modelId', NEW.model_id, 'replicaId', NEW.replica_id, 'sample', NEW.body)::text;
BEGIN
  -- The whole row rides on the notification: delivered at commit, in commit order, no read-back.
  -- A payload must stay under 8000 bytes: a sample with a long error text goes without its body,
  -- and the listeners read it from the table.
  IF octet_length(payload) > 7900 THEN
    payload := json_build_object('seq', NEW.seq, 'modelId', NEW.model_id, 'replicaId', NEW.replica_id)::text;
  END IF;
  PERFORM pg_notify('modelwatch_samples', payload);
  RETURN NULL;
END $$;
CREATE TRIGGER health_samples_notify AFTER INSERT ON health_samples
  FOR EACH ROW EXECUTE FUNCTION modelwatch_notify_sample();`,
  },
  {
    version: 3,
    name: 'persisted health: state, reason, recovery progress and window per model',
    sql: `
CREATE TABLE health_state (
  model_id text PRIMARY KEY,
  saved_at text NOT NULL,
  body text NOT NULL
);`,
  },
];

// A fixed 64-bit key, the same in every replica and release.
const MIGRATION_LOCK = '7308604897068083060';

/** Applies the missing steps under a session advisory lock; refuses a database newer than this code. */
export async function migrate(client: pg.ClientBase, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  await client.query('SELECT pg_advisory_lock($1::bigint)', [MIGRATION_LOCK]);
  try {
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
    const applied = new Set(rows.map((r) => r.version));
    const newest = Math.max(0, ...migrations.map((m) => m.version));
    const unknown = [...applied].filter((v) => v > newest);
    if (unknown.length > 0)
      throw new Error(
        `the database has schema version ${Math.max(...unknown)}, newer than this service knows (${newest}): run the newer service, or restore a backup`,
      );
    const done: number[] = [];
    for (const m of migrations) {
      if (applied.has(m.version)) continue;
      await client.query('BEGIN');
      try {
        await client.query(m.sql);
        await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw new Error(`schema migration ${m.version} (${m.name}) failed: ${(err as Error).message}`, { cause: err });
      }
      done.push(m.version);
    }
    return done;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK]);
  }
}

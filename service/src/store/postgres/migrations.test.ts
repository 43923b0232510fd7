import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { freshPostgresDatabase } from '../../../test/postgres-database.js';
import { MIGRATIONS } from './migrations.js';
import { PostgresStore } from './postgres-store.js';

const stores: PostgresStore[] = [];
afterAll(() => Promise.all(stores.map((s) => s.close().catch(() => undefined))));

async function rows<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

describe('PostgreSQL schema migrations', () => {
  it('when five replicas start together on an empty database, then each step is applied exactly once', async () => {
    const url = await freshPostgresDatabase('migrate');
    stores.push(...(await Promise.all(Array.from({ length: 5 }, () => PostgresStore.open({ url, max: 2 })))));
    const applied = await rows<{ version: number }>(url, 'SELECT version FROM schema_migrations ORDER BY version');
    expect(applied.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
  });

  it('when the database was migrated by a newer release, then start-up stops and says so', async () => {
    const url = await freshPostgresDatabase('migrate');
    stores.push(await PostgresStore.open({ url, max: 1 }));
    await rows(url, "INSERT INTO schema_migrations (version, name) VALUES (999, 'from the future')");
    await expect(PostgresStore.open({ url, max: 1, startupTimeoutMs: 0 })).rejects.toThrow(
      /schema version 999, newer than this service knows/,
    );
  });

  it('when the database cannot be reached, then start-up names it without the password and gives up', async () => {
    const url = 'postgresql://mw:s3cret-password@127.0.0.1:1/nowhere';
    const failure = PostgresStore.open({ url, startupTimeoutMs: 300, connectTimeoutMs: 200 });
    await expect(failure).rejects.toThrow(
      /cannot use the PostgreSQL store at postgresql:\/\/mw@127\.0\.0\.1:1\/nowhere/,
    );
    await expect(failure).rejects.not.toThrow(/s3cret/);
  });
});

import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { createDatabase } from './postgres-server.js';

/** A new empty database on the test run's PostgreSQL server (see postgres-global-setup.ts). */
export function freshPostgresDatabase(prefix = 'mw'): Promise<string> {
  return createDatabase(inject('postgresAdminUrl'), `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 16)}`);
}

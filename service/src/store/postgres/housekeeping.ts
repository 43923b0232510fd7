import type pg from 'pg';

/**
 * Keeps the shared tables bounded: samples older than the catch-up window are never read again,
 * and a replica that has not been seen for an hour is gone (each process start is a new replica).
 * Every replica runs it now and then; deleting what another replica already deleted is harmless.
 */
export async function pruneShared(
  pool: pg.Pool,
  keepSamplesMs: number,
): Promise<{ samples: number; replicas: number }> {
  const samples = await pool.query('DELETE FROM health_samples WHERE at < now() - $1::interval', [
    `${Math.round(keepSamplesMs)} milliseconds`,
  ]);
  const replicas = await pool.query("DELETE FROM replicas WHERE seen_at < now() - interval '1 hour'");
  return { samples: samples.rowCount ?? 0, replicas: replicas.rowCount ?? 0 };
}

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { STORAGE_STATES, type StorageStatus } from '../store/storage-errors.js';
import { registerStorageHealth, STORAGE_HEALTHY_METRIC } from './storage-metrics.js';

const DOC = fileURLToPath(new URL('../../../docs/observability.md', import.meta.url));

describe('modelwatch_storage_healthy', () => {
  it('when the check changes its answer, then each scrape shows one series with the current reason', async () => {
    const registry = new Registry();
    let status: StorageStatus = { ok: true, state: 'ok', code: null, reason: 'writable' };
    registerStorageHealth(registry, () => status);
    expect(await registry.metrics()).toContain(`${STORAGE_HEALTHY_METRIC}{reason="ok"} 1`);
    status = {
      ok: false,
      state: 'read_only',
      code: 'storage_unavailable',
      reason: '/data is on a read-only file system',
    };
    const scrape = await registry.metrics();
    expect(scrape).toContain(`${STORAGE_HEALTHY_METRIC}{reason="read_only"} 0`);
    expect(scrape).not.toContain('reason="ok"');
    // The free-text reason (paths, hosts) never becomes a label value.
    expect(scrape).not.toContain('/data');
  });

  it('when docs/observability.md describes the metric, then it names every reason the checks can give', () => {
    const row = readFileSync(DOC, 'utf8')
      .split('\n')
      .find((line) => line.startsWith(`| \`${STORAGE_HEALTHY_METRIC}\``));
    expect(row, 'a row for the metric').toBeDefined();
    for (const state of STORAGE_STATES) expect(row).toContain(`\`${state}\``);
  });
});

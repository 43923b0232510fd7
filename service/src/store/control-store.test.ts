import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../test/support/wait-for.js';
import { SqliteControlStore } from './control-store.js';

describe('SqliteControlStore', () => {
  it('when events are journalled, then they reach control.db off the event loop, not only its WAL', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'modelwatch-control-'));
    const store = SqliteControlStore.openInDir(dir);
    const file = join(dir, 'control.db');
    const before = statSync(file).size;
    // Far fewer pages than SQLite's auto-checkpoint (1,000): only the checkpoint worker moves them.
    for (let n = 1; n <= 60; n++) store.append('fallback', new Date(n).toISOString(), { n, pad: 'x'.repeat(500) });
    await waitFor('the journal to be checkpointed into control.db', () => statSync(file).size > before, 10_000);
    expect(store.after(0, 100).map((e) => e.data)).toHaveLength(60);
    store.close();
  });
});

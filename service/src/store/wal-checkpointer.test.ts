import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../test/support/wait-for.js';
import { SQLITE_AUTOCHECKPOINT_PAGES, WalCheckpointer, type CheckpointTrouble } from './wal-checkpointer.js';

const open: Array<{ db: Database.Database; checkpointer?: WalCheckpointer }> = [];

function walDatabase(): { db: Database.Database; file: string } {
  const file = join(mkdtempSync(join(tmpdir(), 'modelwatch-wal-')), 'modelwatch.db');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE rows (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
  open.push({ db });
  return { db, file };
}

const autocheckpoint = (db: Database.Database): number => db.pragma('wal_autocheckpoint', { simple: true }) as number;

afterEach(() => {
  for (const { db, checkpointer } of open.splice(0)) {
    checkpointer?.stop();
    if (db.open) db.close();
  }
});

describe('WalCheckpointer', () => {
  it('when commits are made to two files, then their pages reach both files though the event loop never checkpoints', async () => {
    const files = [walDatabase(), walDatabase()].map(({ db, file }) => {
      open.push({ db, checkpointer: WalCheckpointer.start(db, file, () => undefined) });
      const before = statSync(file).size;
      const insert = db.prepare('INSERT INTO rows (body) VALUES (?)');
      for (let i = 0; i < 40; i++) insert.run('x'.repeat(2_000));
      expect(autocheckpoint(db)).toBe(0);
      return { file, before };
    });
    await waitFor(
      'the rows to be checkpointed into both database files',
      () => files.every(({ file, before }) => statSync(file).size > before + 40_000),
      5_000,
    );
  });

  it('when the worker cannot run, then the event loop checkpoints again and the reason is told', async () => {
    const { db, file } = walDatabase();
    const told: CheckpointTrouble[] = [];
    const checkpointer = WalCheckpointer.start(db, join(file, 'missing.db'), (t) => told.push(t));
    open.push({ db, checkpointer });

    await waitFor('the worker failure to be told', () => told.length > 0, 5_000);
    expect(told[0]?.reason).toMatch(/^cannot open .*missing\.db: .*; the event loop checkpoints again$/);
    expect(autocheckpoint(db)).toBe(SQLITE_AUTOCHECKPOINT_PAGES);
  });
});

// What one interview record costs the service's event loop: the same better-sqlite3 build, pragmas
// (WAL, synchronous=FULL or NORMAL) and INSERT as service/src/store/sqlite-store.ts, one transaction
// per start, timed one by one. better-sqlite3 is synchronous: this time blocks the event loop.
//
// With SQLite's default auto-checkpoint (1,000 pages) some commits also copy the WAL into the
// database file and fsync it; with `worker` auto-checkpoint is off and the service's own
// WalCheckpointer (service/dist/store/wal-checkpointer.js) checkpoints from a worker thread, as the
// service does. `over2Ms` counts the commits that stalled; `--rate` paces the commits as starts arrive
// (0: back to back), so a worker checkpointing once a second has the time to run.
//
//   node bench/sqlite_commit.mjs <dir> [count=500] [FULL|NORMAL] [1000|worker] [rate=0]   -> one JSON line
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const require = createRequire(new URL('../service/package.json', import.meta.url));
const Database = require('better-sqlite3');

const [dir = '/tmp', countArg = '500', synchronous = 'FULL', checkpoints = '1000', rate = '0'] = process.argv.slice(2);
const count = Number(countArg);
const { WalCheckpointer } = await import('../service/dist/store/wal-checkpointer.js');
const paced = (i) => new Promise((resolve) => setTimeout(resolve, Math.max(0, began + (i * 1000) / Number(rate) - Date.now())));
let began = Date.now();
const work = mkdtempSync(join(dir, 'modelwatch-sqlite-bench-'));
try {
  const db = new Database(join(work, 'modelwatch.db'));
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  const file = join(work, 'modelwatch.db');
  db.exec('CREATE TABLE interviews (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, idempotency_key TEXT UNIQUE, at TEXT NOT NULL, body TEXT NOT NULL)');
  const insert = db.prepare('INSERT OR IGNORE INTO interviews (id, idempotency_key, at, body) VALUES (?, ?, ?, ?)');
  const checkpointer = checkpoints === 'worker' ? WalCheckpointer.start(db, file, (t) => console.error(t)) : null;
  const write = db.transaction((id, body) => insert.run(id, null, new Date().toISOString(), body));
  // About the size of a real record: attempts, opening line, trace id.
  const body = JSON.stringify({ openingLine: 'x'.repeat(400), attempts: [{ modelId: 'openai:gpt-4o-mini', outcome: 'success' }], traceId: 'f'.repeat(32) });
  const times = [];
  began = Date.now();
  for (let i = 0; i < count; i++) {
    if (Number(rate) > 0) await paced(i);
    const start = process.hrtime.bigint();
    write(`iv_${i}`, body);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  checkpointer?.stop();
  db.close();
  const over2Ms = times.filter((t) => t > 2).length;
  times.sort((a, b) => a - b);
  const at = (p) => Math.round(times[Math.min(times.length - 1, Math.ceil((p / 100) * times.length) - 1)] * 1000) / 1000;
  const mean = times.reduce((a, b) => a + b, 0) / times.length;
  console.log(JSON.stringify({ dir, synchronous, checkpoints, rate: Number(rate), count, over2Ms, meanMs: Math.round(mean * 1000) / 1000, p50Ms: at(50), p99Ms: at(99), maxMs: at(100) }));
} finally {
  rmSync(work, { recursive: true, force: true });
}

// Issue 14 item 3, measured: many large stored simulations, one list request, and /healthz asked
// while the list is being answered. Prints one JSON line.
//   node bench/list_bounds.mjs [count=9000] [bytesPerSimulation=60000]
// MODELWATCH_SERVICE_MAIN picks the build to measure (default service/dist/main.js), so the same
// run can be made against an older build.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createRequire } from 'node:module';

const repo = resolve(import.meta.dirname, '..');
const Database = createRequire(join(repo, 'service/package.json'))('better-sqlite3');
const main = process.env.MODELWATCH_SERVICE_MAIN ?? join(repo, 'service/dist/main.js');
const count = Number(process.argv[2] ?? 9000);
const size = Number(process.argv[3] ?? 60_000);
const dir = mkdtempSync(join(tmpdir(), 'modelwatch-bench-list-'));

const db = new Database(join(dir, 'modelwatch.db'));
db.pragma('journal_mode = WAL');
db.exec('CREATE TABLE simulations (id TEXT PRIMARY KEY, body TEXT NOT NULL)');
const insert = db.prepare('INSERT INTO simulations (id, body) VALUES (?, ?)');
const notes = 'x'.repeat(size);
db.transaction(() => {
  for (let i = 0; i < count; i++) {
    const id = `sim-${String(i).padStart(6, '0')}`;
    const at = '2026-01-01T00:00:00.000Z';
    insert.run(id, JSON.stringify({ id, primary: 'openai:gpt-4o', fallbacks: [], interview: { notes }, createdAt: at, updatedAt: at }));
  }
})();
db.close();
writeFileSync(
  join(dir, 'config.yaml'),
  'providers:\n  openai: { kind: openai, baseUrl: "http://127.0.0.1:1/v1", apiKeyEnv: SIMULATOR_API_KEY }\nmodels:\n  - { id: "openai:gpt-4o" }\n',
);

const port = 20000 + Math.floor(Math.random() * 20000);
const url = `http://127.0.0.1:${port}`;
const started = performance.now();
const child = spawn('node', [main], {
  env: { ...process.env, SERVICE_PORT: String(port), AGENT_URL: 'http://127.0.0.1:1', CONFIG: join(dir, 'config.yaml'), DATA_DIR: dir, LOG_LEVEL: 'warn' },
  stdio: 'ignore',
});
const deadline = Date.now() + 60_000;
for (;;) {
  if (Date.now() > deadline) throw new Error('the service did not answer /healthz within 60 s');
  try {
    if ((await fetch(`${url}/healthz`)).ok) break;
  } catch {
    await new Promise((r) => setTimeout(r, 50));
  }
}
const startupMs = performance.now() - started;
const timed = async (path) => {
  const t0 = performance.now();
  const res = await fetch(`${url}${path}`);
  const body = await res.text();
  return { status: res.status, bytes: Buffer.byteLength(body), ms: performance.now() - t0 };
};
const list = timed('/v1/simulations?limit=500');
await new Promise((r) => setTimeout(r, 20));
const healthz = await timed('/healthz');
const page = await list;
const rssKiB = Number(readFileSync(`/proc/${child.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]);
child.kill('SIGTERM');
await new Promise((r) => child.once('exit', r));
rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify({ main, count, size, startupMs: Math.round(startupMs), list: page, healthzDuringList: healthz, rssKiB }));

// The service's CPU per GET /v1/health body at 1,000 models, in process (no HTTP, no other load's wall clock):
// a real health engine on a fake clock with 30 probes per model in the window, the body built as the route
// builds it (views, JSON, UTF-8 bytes, Express's ETag: SHA-1 of the body), after a given share of the models
// changed since the last read (a probe each; reads 5 s apart see about half of them probed, back to back none).
//
//   node bench/health_read_cost.mjs [--dist service/dist] [--label after] [--models 1000] [--reads 20]
//
// With a build that keeps bodies between reads (service/dist/http/health-body.js), each share is measured on
// it; without one (main before issue 15's cut), the views are serialized afresh on every read, as its route did.
// The last row refreshes the kept bodies after each tenth of the models was probed, as the route's keep-warm
// timer does every second while /v1/health is being read, and times the refreshes apart from the read.
// Appends to bench/results/health-read-cost.json under --label.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const { values: opt } = parseArgs({
  options: {
    dist: { type: 'string', default: resolve(here, '../service/dist') },
    label: { type: 'string', default: 'after' },
    models: { type: 'string', default: '1000' },
    reads: { type: 'string', default: '20' },
  },
});
const dist = resolve(opt.dist);
const load = async (path) => import(pathToFileURL(`${dist}/${path}`).href);
const { HealthEngine } = await load('domain/health/index.js');
const { healthView } = await load('http/presenters.js');
const kept = existsSync(`${dist}/http/health-body.js`) ? await load('http/health-body.js') : null;

const N = Number(opt.models);
let now = Date.parse('2026-12-01T12:00:00Z');
const engine = new HealthEngine(() => now);
const plan = { intervalMs: 10_000, unhealthyIntervalMs: 5_000 };
const models = Array.from({ length: N }, (_, i) => {
  const id = `sim:scale-${String(i).padStart(4, '0')}`;
  engine.register(id, {}, plan.intervalMs);
  return { id, provider: 'sim', model: id, pricing: { inputPerMillion: 0.15, outputPerMillion: 0.6 }, probe: plan, health: {} };
});
const ids = models.map((m) => m.id);
const byId = new Map(models.map((m) => [m.id, m]));
const usage = new Map();
const next = new Map();
const probe = (id) => {
  engine.addSample(id, { at: now, source: 'probe', outcome: 'success', latencyMs: 150 + Math.random() * 30, ttftMs: 60 + Math.random() * 10 });
  usage.set(id, { inputTokens: 12, outputTokens: 3 }); // a new object per probe, as the probe runner keeps it
  next.set(id, now + 10_000 + Math.random() * 1_000);
};
for (let k = 0; k < 30; k += 1) {
  now += 10_000;
  ids.forEach(probe);
  engine.tick();
}
const inputsOf = (id) => ({ snapshot: engine.snapshot(id), model: byId.get(id), nextProbeAt: next.get(id), probing: false, usage: usage.get(id), drain: null });
// main's route: res.json({ models: ids.map(view) }), i.e. views, JSON.stringify, Buffer.from, then the ETag.
const afresh = () =>
  Buffer.from(JSON.stringify({ models: ids.map((id) => { const i = inputsOf(id); return { ...healthView(i.snapshot, i.model, i), drain: { drained: false, reason: null, since: null } }; }) }));
const bodies = kept && new kept.HealthBodies(inputsOf);
const render = bodies ? () => bodies.all(ids) : afresh;

const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
let cursor = 0;
const round = (ms) => Math.round(ms * 100) / 100;
/** `share` of the models probed since the last read; `warm`: refreshed after each tenth, timed apart. */
function measure(share, { warm = false } = {}) {
  const reads = Number(opt.reads);
  let total = 0;
  let refreshing = 0;
  for (let r = -3; r < reads; r += 1) {
    const steps = warm ? Math.round(share * 10) : 1;
    for (let step = 0; step < steps; step += 1) {
      now += 1_000;
      for (let i = 0; i < (N * share) / steps; i += 1) probe(ids[cursor++ % N]);
      engine.tick();
      const c0 = cpuMs();
      if (warm) bodies.refresh(ids);
      if (r >= 0) refreshing += cpuMs() - c0;
    }
    const c0 = cpuMs();
    createHash('sha1').update(render()).digest('base64');
    if (r >= 0) total += cpuMs() - c0;
  }
  return warm ? { read: round(total / reads), refreshPerSecond: round(refreshing / reads / Math.round(share * 10)) } : round(total / reads);
}
if (bodies && !bodies.all(ids).equals(afresh())) throw new Error('the kept body differs from the one serialized afresh');
const shares = [0, 0.1, 0.5, 1];
const row = {
  date: new Date().toISOString(),
  dist,
  node: process.version,
  cpu: `${cpus().length} x ${cpus()[0]?.model}`,
  loadAverageBefore: loadavg().map((x) => Math.round(x * 100) / 100),
  models: N,
  bodyBytes: render().length,
  keptBodies: Boolean(bodies),
  cpuMsPerRead: Object.fromEntries(shares.map((s) => [`${s * 100}% changed`, measure(s)])),
};
// Reads 5 s apart, half the models probed in between, the bodies refreshed every second as the route does.
if (bodies) row.cpuMsPerRead['50% changed, refreshed every 10%'] = measure(0.5, { warm: true });
row.loadAverageAfter = loadavg().map((x) => Math.round(x * 100) / 100);
const out = resolve(here, 'results/health-read-cost.json');
const all = existsSync(out) ? JSON.parse(readFileSync(out, 'utf8')) : {};
all[opt.label] = row;
writeFileSync(out, `${JSON.stringify(all, null, 1)}\n`);
console.log(JSON.stringify(row));

// Benchmark of the health engine: cost of addSample() and snapshot() with 100 models whose windows are
// full (2048 samples each), memory per model, and tick() over 100 models. Reported, not a timed test.
//
// Run: `node bench/run-health-engine-bench.mjs` from service/ (compiles with tsc, runs with --expose-gc).
// Per-op figures time each call with process.hrtime.bigint(); the timer's own cost (measured, reported
// as timerOverheadNs) is subtracted. Mean figures time a whole batch, with no timer inside the loop,
// both in wall time and in process CPU time (the machine may be shared: see loadAverage).
import { writeFileSync, mkdirSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname } from 'node:path';
import { HealthEngine, type Sample } from '../src/domain/health/index.js';

const MODELS = 100;
const SAMPLES_PER_MODEL = 2048;
const T0 = 1_700_000_000_000;
/** One sample per model every 100 ms: 2048 samples span 205 s, inside the 300 s window, so the cap evicts. */
const MS_BETWEEN_SAMPLES_OF_ONE_MODEL = 100;
const RECORD_TIMED_OPS = 1_000_000;
const RECORD_BATCH_OPS = 500_000;
const SNAPSHOT_TIMED_OPS = 1_000_000;
const SNAPSHOT_BATCH_OPS = 20_000_000;
const TICKS = 200;

interface Distribution {
  p50Ns: number;
  p99Ns: number;
  p999Ns: number;
  maxNs: number;
  samples: number;
}

const round = (value: number) => Math.round(value * 10) / 10;

let now = T0;
let sink = 0; // results fed here so the JIT cannot drop the measured calls

/** Deterministic PRNG (mulberry32), so every run sees the same traffic. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const next = random(42);

/** Mostly successes with a long latency tail; a 500 every 50th and a 429 every 97th, never 3 in a row. */
function makeSample(index: number, at: number): Sample {
  const latencyMs = 150 + 2000 * next() ** 4;
  if (index % 50 === 49)
    return { at, source: 'interview', outcome: 'server_error', latencyMs, ttftMs: null, httpStatus: 500 };
  if (index % 97 === 96)
    return { at, source: 'probe', outcome: 'rate_limited', latencyMs: 40, ttftMs: null, httpStatus: 429 };
  return {
    at,
    source: index % 3 === 0 ? 'probe' : 'interview',
    outcome: 'success',
    latencyMs,
    ttftMs: latencyMs * 0.4,
  };
}

function distribution(values: Float64Array, overheadNs: number): Distribution {
  const sorted = values.slice().sort();
  const at = (share: number) =>
    Math.max((sorted[Math.min(sorted.length - 1, Math.ceil(share * sorted.length) - 1)] ?? 0) - overheadNs, 0);
  return { p50Ns: at(0.5), p99Ns: at(0.99), p999Ns: at(0.999), maxNs: at(1), samples: values.length };
}

function timerOverheadNs(): number {
  const durations = new Float64Array(200_000);
  for (let index = 0; index < durations.length; index += 1) {
    const start = process.hrtime.bigint();
    durations[index] = Number(process.hrtime.bigint() - start);
  }
  return distribution(durations, 0).p50Ns;
}

function collectGarbage(): void {
  if (globalThis.gc === undefined) return;
  for (let round = 0; round < 3; round += 1) globalThis.gc();
}

function fillEngine(ids: string[]): HealthEngine {
  const engine = new HealthEngine(() => now);
  for (const id of ids) engine.register(id);
  for (let index = 0; index < SAMPLES_PER_MODEL * MODELS; index += 1) recordNext(engine, ids, index);
  return engine;
}

/** Sample `index` goes to model index % 100; the clock moves 1 ms per sample (100 ms per model). */
function recordNext(engine: HealthEngine, ids: string[], index: number): void {
  now += MS_BETWEEN_SAMPLES_OF_ONE_MODEL / MODELS;
  engine.addSample(ids[index % MODELS] as string, makeSample(index, now));
}

/**
 * Mean cost of one op over a batch, as wall time and as CPU time of this process. On a shared machine
 * the wall mean includes time the process was descheduled; the CPU mean does not.
 */
function timeBatch(ops: number, run: () => void): { meanWallNs: number; meanCpuNs: number } {
  const cpuBefore = process.cpuUsage();
  const start = process.hrtime.bigint();
  run();
  const wallNs = Number(process.hrtime.bigint() - start);
  const cpu = process.cpuUsage(cpuBefore);
  return { meanWallNs: round(wallNs / ops), meanCpuNs: round(((cpu.user + cpu.system) * 1000) / ops) };
}

function measureMemory(ids: string[]): { engine: HealthEngine; memory: Record<string, number> } {
  collectGarbage();
  const before = process.memoryUsage();
  const engine = fillEngine(ids);
  collectGarbage();
  const after = process.memoryUsage();
  const heapUsed = after.heapUsed - before.heapUsed;
  const external = after.external - before.external; // typed-array backing stores live here, not in the heap
  const perModel = Math.round((heapUsed + external) / MODELS);
  // What the design allocates: ring (3 Float64 + 2 Uint8 per slot) + two sorted Float64 arrays.
  const designed = SAMPLES_PER_MODEL * (3 * 8 + 2) + 2 * SAMPLES_PER_MODEL * 8;
  return {
    engine,
    memory: {
      heapUsedDeltaBytes: heapUsed,
      externalDeltaBytes: external,
      perModelBytes: perModel,
      designedPerModelBytes: designed,
    },
  };
}

function measureRecord(engine: HealthEngine, ids: string[], overheadNs: number, startIndex: number) {
  const durations = new Float64Array(RECORD_TIMED_OPS);
  for (let op = 0; op < RECORD_TIMED_OPS; op += 1) {
    const index = startIndex + op;
    now += MS_BETWEEN_SAMPLES_OF_ONE_MODEL / MODELS;
    const id = ids[index % MODELS] as string;
    const sample = makeSample(index, now);
    const start = process.hrtime.bigint();
    const transition = engine.addSample(id, sample);
    durations[op] = Number(process.hrtime.bigint() - start);
    if (transition !== null) sink += 1;
  }
  const batchStart = startIndex + RECORD_TIMED_OPS;
  const samples = Array.from({ length: RECORD_BATCH_OPS }, (_, op) => makeSample(batchStart + op, now + op + 1));
  const mean = timeBatch(RECORD_BATCH_OPS, () => {
    for (let op = 0; op < RECORD_BATCH_OPS; op += 1) {
      const sample = samples[op] as Sample;
      now = sample.at;
      if (engine.addSample(ids[(batchStart + op) % MODELS] as string, sample) !== null) sink += 1;
    }
  });
  return { ...mean, ...distribution(durations, overheadNs) };
}

function measureSnapshot(engine: HealthEngine, ids: string[], overheadNs: number) {
  const durations = new Float64Array(SNAPSHOT_TIMED_OPS);
  for (let op = 0; op < SNAPSHOT_TIMED_OPS; op += 1) {
    const id = ids[op % MODELS] as string;
    const start = process.hrtime.bigint();
    const snapshot = engine.snapshot(id);
    durations[op] = Number(process.hrtime.bigint() - start);
    sink += snapshot.samples.total;
  }
  const mean = timeBatch(SNAPSHOT_BATCH_OPS, () => {
    for (let op = 0; op < SNAPSHOT_BATCH_OPS; op += 1)
      sink += engine.snapshot(ids[op % MODELS] as string).consecutiveFailures;
  });
  return { ...mean, ...distribution(durations, overheadNs) };
}

function measureTick(engine: HealthEngine, overheadNs: number) {
  const durations = new Float64Array(TICKS);
  for (let tick = 0; tick < TICKS; tick += 1) {
    now += 1000; // models go stale after 30 s and their windows expire: the expensive ticks are included
    const start = process.hrtime.bigint();
    sink += engine.tick().length;
    durations[tick] = Number(process.hrtime.bigint() - start);
  }
  return { models: MODELS, ...distribution(durations, overheadNs) };
}

function referenceSortNs(): number {
  const values = new Float64Array(SAMPLES_PER_MODEL).map(() => next() * 3000);
  const rounds = 2000;
  const start = process.hrtime.bigint();
  for (let round = 0; round < rounds; round += 1) sink += values.slice().sort()[0] ?? 0;
  return Number(process.hrtime.bigint() - start) / rounds;
}

function main(): void {
  const outPath = process.argv[2] ?? '../bench/results/health-engine.json';
  const loadBefore = loadavg();
  const ids = Array.from({ length: MODELS }, (_, index) => `bench:model-${index}`);
  const { engine, memory } = measureMemory(ids);
  const overheadNs = timerOverheadNs();
  measureRecord(engine, ids, overheadNs, SAMPLES_PER_MODEL * MODELS); // warm-up round, discarded
  const record = measureRecord(engine, ids, overheadNs, SAMPLES_PER_MODEL * MODELS * 10);
  const snapshot = measureSnapshot(engine, ids, overheadNs);
  const tick = measureTick(engine, overheadNs);
  const result = {
    benchmark: 'health-engine',
    date: new Date().toISOString(),
    node: process.version,
    v8: process.versions.v8,
    platform: `${process.platform}/${process.arch}`,
    cores: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    totalMemoryBytes: totalmem(),
    loadAverage: { before: loadBefore, after: loadavg() },
    gcExposed: globalThis.gc !== undefined,
    setup: {
      models: MODELS,
      samplesPerModel: SAMPLES_PER_MODEL,
      windowMs: 300_000,
      msBetweenSamplesPerModel: MS_BETWEEN_SAMPLES_OF_ONE_MODEL,
    },
    timerOverheadNs: overheadNs,
    recordNs: record,
    snapshotNs: snapshot,
    tickNs: tick,
    memory,
    referenceFullSortOf2048Ns: round(referenceSortNs()),
    method:
      'per-op: each call timed with process.hrtime.bigint(), timer overhead (median of empty timings) subtracted; ' +
      'meanWallNs / meanCpuNs: one batch timed as a whole (wall clock / process CPU time) / ops; ' +
      'memory: (heapUsed + external) delta after gc() / models (typed-array stores count as external)',
    sink,
  };
  mkdirSync(dirname(outPath), { recursive: true });
  writeFileSync(outPath, `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result, null, 2));
}

// Only when run directly: `vitest bench` would otherwise import and run this file.
if (process.argv[1]?.endsWith('health-engine.bench.js')) main();

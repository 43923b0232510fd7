// The kept bodies of the health API are byte for byte what serializing the views afresh gives, whatever
// input of a model's view changed (a real engine on an injected clock).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { HealthEngine } from '../domain/health/index.js';
import type { RegisteredModel } from '../domain/model-registry.js';
import { DEFAULT_PROBE_PLAN } from '../domain/probe-plan.js';
import { HealthBodies, KEEP_WARM, keepWarmWhileRead, modelHealthView, type HealthViewInputs } from './health-body.js';

const registered = (id: string, inputPerMillion = 0.15): RegisteredModel => ({
  id,
  provider: 'sim',
  endpoint: { kind: 'openai', baseUrl: 'http://127.0.0.1:1/v1', apiKeyEnv: 'SIM_KEY', headerNames: [] },
  model: id.split(':')[1]!,
  tier: null,
  capabilities: [],
  pricing: { inputPerMillion, outputPerMillion: 0.6 },
  probe: DEFAULT_PROBE_PLAN,
  health: {},
});

/** Three models and every input of their views, changed by the table's steps. */
function world() {
  const clock = { now: Date.parse('2026-12-01T12:00:00Z') };
  const engine = new HealthEngine(() => clock.now);
  const models = new Map(['sim:a', 'sim:b', 'sim:c'].map((id) => [id, registered(id)]));
  const extra = new Map<string, Omit<HealthViewInputs, 'snapshot' | 'model'>>();
  for (const id of models.keys()) {
    engine.register(id, {}, DEFAULT_PROBE_PLAN.intervalMs);
    extra.set(id, { nextProbeAt: clock.now + 10_000, probing: false, usage: null, drain: null });
  }
  const inputsOf = (id: string): HealthViewInputs => ({
    snapshot: engine.snapshot(id),
    model: models.get(id)!,
    ...extra.get(id)!,
  });
  /** A probe a second after the last event. */
  const probe = (id: string, outcome: 'success' | 'server_error' = 'success', latencyMs = 150) => {
    clock.now += 1_000;
    engine.addSample(id, { at: clock.now, source: 'probe', outcome, latencyMs, ttftMs: 60 });
  };
  const tick = (seconds: number) => {
    for (let i = 0; i < seconds; i++) {
      clock.now += 1_000;
      engine.tick();
    }
  };
  const set = (id: string, change: Partial<HealthViewInputs>) => extra.set(id, { ...extra.get(id)!, ...change });
  return { clock, engine, models, inputsOf, probe, tick, set, ids: () => [...models.keys()] };
}
type World = ReturnType<typeof world>;

const fresh = (w: World, ids: string[]) =>
  Buffer.from(JSON.stringify({ models: ids.map((id) => modelHealthView(w.inputsOf(id))) }));

const STEPS: Array<[string, (w: World) => void]> = [
  ['nothing changed', () => undefined],
  ['a second passed with a tick', (w) => w.tick(1)],
  ['a probe succeeded', (w) => w.probe('sim:a')],
  ['probes failed until unhealthy', (w) => [1, 2, 3].forEach(() => w.probe('sim:b', 'server_error'))],
  ['the model went stale (a minute of ticks)', (w) => w.tick(60)],
  ['the next probe time moved', (w) => w.set('sim:c', { nextProbeAt: w.clock.now + 5_000 })],
  ['the next probe time became unknown', (w) => w.set('sim:c', { nextProbeAt: Number.POSITIVE_INFINITY })],
  ['a probe is in flight', (w) => w.set('sim:a', { probing: true })],
  ['the last probe reported its usage', (w) => w.set('sim:a', { usage: { inputTokens: 12, outputTokens: 3 } })],
  [
    'the model was drained',
    (w) => w.set('sim:b', { drain: { modelId: 'sim:b', reason: 'maintenance', at: '2026-12-01T12:01:00.000Z' } }),
  ],
  ['the model was undrained', (w) => w.set('sim:b', { drain: null })],
  ['a reload changed the price', (w) => w.models.set('sim:a', registered('sim:a', 2.5))],
  ['a reload removed a model', (w) => w.models.delete('sim:c')],
];

describe('HealthBodies', () => {
  it('when the inputs change step by step, then each body equals the views serialized afresh', () => {
    const w = world();
    const bodies = new HealthBodies(w.inputsOf);
    expect(bodies.all(w.ids()).equals(fresh(w, w.ids()))).toBe(true);
    for (const [step, change] of STEPS) {
      change(w);
      expect(bodies.all(w.ids()).toString(), step).toBe(fresh(w, w.ids()).toString());
      for (const id of w.ids()) {
        expect(bodies.one(id).toString(), `${step}: ${id}`).toBe(JSON.stringify(modelHealthView(w.inputsOf(id))));
      }
    }
    expect(JSON.parse(bodies.all(w.ids()).toString()).models.map((m: { id: string }) => m.id)).toEqual([
      'sim:a',
      'sim:b',
    ]);
  });

  it('when a tick changed nothing, then a read reuses the model’s bytes; after a probe it makes new ones', () => {
    const w = world();
    const bodies = new HealthBodies(w.inputsOf);
    w.probe('sim:a');
    const before = bodies.one('sim:a');
    w.tick(1);
    expect(bodies.one('sim:a')).toBe(before);
    w.probe('sim:a');
    expect(bodies.one('sim:a')).not.toBe(before);
  });
});

describe('keepWarmWhileRead', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('when the health is read, then changed views are serialized every second until a minute without reads', () => {
    vi.useFakeTimers();
    const w = world();
    const bodies = new HealthBodies(w.inputsOf);
    const refreshed: number[] = [];
    const refresh = bodies.refresh.bind(bodies);
    bodies.refresh = (ids) => {
      refreshed.push(w.clock.now);
      refresh(ids);
    };
    const read = keepWarmWhileRead(bodies, w.ids, () => w.clock.now);
    const advance = (ms: number) => {
      for (let t = 0; t < ms; t += KEEP_WARM.everyMs) {
        w.clock.now += KEEP_WARM.everyMs;
        vi.advanceTimersByTime(KEEP_WARM.everyMs);
      }
    };
    advance(10 * KEEP_WARM.everyMs);
    expect(refreshed).toHaveLength(0); // never read: nothing to keep warm
    bodies.all(w.ids());
    w.probe('sim:a');
    read();
    advance(KEEP_WARM.everyMs);
    expect(refreshed).toHaveLength(1);
    expect(bodies.one('sim:a').toString()).toBe(JSON.stringify(modelHealthView(w.inputsOf('sim:a'))));
    advance(KEEP_WARM.forMs);
    const count = refreshed.length;
    expect(count).toBe(KEEP_WARM.forMs / KEEP_WARM.everyMs - 1); // the last second without reads stops it
    advance(10 * KEEP_WARM.everyMs);
    expect(refreshed).toHaveLength(count);
    read();
    advance(KEEP_WARM.everyMs);
    expect(refreshed).toHaveLength(count + 1);
  });
});

// The bodies of GET /v1/health and /v1/health/{id}, serialized once per change of what they show.
//
// At 1,000 models a read built 1,000 view objects, stringified 1.5 MB and encoded it to UTF-8 on every
// request (about 35 ms of CPU). A model's view changes only when one of its inputs does: the engine's
// snapshot (a new object only when its content changes, domain/health/snapshot.ts), the registry entry
// (replaced by a reload), the next probe time, the probe in flight, the last probe's usage and the drain
// record (each replaced, never mutated). So each model's JSON is kept as bytes with the inputs it was
// made from, and a read is a comparison per model and one copy of the bytes. A probe changes the snapshot
// and the schedule, not the thresholds (40% of the bytes): each part of the view (presenters.ts) is
// serialized again only when its own inputs changed.
import type { HealthSnapshot } from '../domain/health/index.js';
import type { RegisteredModel } from '../domain/model-registry.js';
import type { TokenUsage } from '../domain/pricing.js';
import type { DrainRecord } from '../store/control-store.js';
import { healthView, identityView, probeCostView, scheduleView, thresholdsView, verdictView } from './presenters.js';

/** Everything one model's view is made of; compared by identity (objects) and value (scalars). */
export interface HealthViewInputs {
  snapshot: HealthSnapshot;
  model: RegisteredModel;
  nextProbeAt: number | null;
  probing: boolean;
  usage: TokenUsage | null;
  drain: DrainRecord | null;
}

/** One model's entry in the health API, as JSON.stringify writes it (the OpenAPI `ModelHealth`). */
export function modelHealthView(inputs: HealthViewInputs) {
  return { ...healthView(inputs.snapshot, inputs.model, inputs), ...drainView(inputs.drain) };
}

function drainView(drain: DrainRecord | null) {
  return { drain: { drained: drain !== null, reason: drain?.reason ?? null, since: drain?.at ?? null } };
}

/** The members of a part's JSON object without its braces: parts with disjoint keys join with commas. */
const members = (part: object): string => JSON.stringify(part).slice(1, -1);

/** The parts of modelHealthView in its order, each with the inputs it depends on. */
const PARTS: ReadonlyArray<{
  same(a: HealthViewInputs, b: HealthViewInputs): boolean;
  json(i: HealthViewInputs): string;
}> = [
  { same: (a, b) => a.model === b.model, json: (i) => members(identityView(i.model)) },
  { same: (a, b) => a.snapshot === b.snapshot, json: (i) => members(verdictView(i.snapshot)) },
  { same: (a, b) => a.nextProbeAt === b.nextProbeAt && a.probing === b.probing, json: (i) => members(scheduleView(i)) },
  {
    same: (a, b) => a.snapshot.thresholds === b.snapshot.thresholds && a.model === b.model,
    json: (i) => members(thresholdsView(i.snapshot, i.model)),
  },
  { same: (a, b) => a.model === b.model && a.usage === b.usage, json: (i) => members(probeCostView(i.model, i.usage)) },
  { same: (a, b) => a.drain === b.drain, json: (i) => members(drainView(i.drain)) },
];

interface Serialized {
  inputs: HealthViewInputs;
  parts: string[];
  bytes: Buffer;
}

const OPEN = Buffer.from('{"models":[');
const COMMA = Buffer.from(',');
const CLOSE = Buffer.from(']}');

export class HealthBodies {
  private byId = new Map<string, Serialized>();

  constructor(private readonly inputsOf: (modelId: string) => HealthViewInputs) {}

  /** The JSON of one model's view: byte for byte `JSON.stringify(modelHealthView(inputs))`. */
  one(modelId: string): Buffer {
    return this.serialized(modelId, this.byId).bytes;
  }

  /** Serializes again the views that changed since the last read or refresh, so the next read finds them ready. */
  refresh(modelIds: readonly string[]): void {
    for (const id of modelIds) this.serialized(id, this.byId);
  }

  /** The JSON of `{ models: [...] }` for these ids, in this order. Forgets ids no longer listed. */
  all(modelIds: readonly string[]): Buffer {
    const next = new Map<string, Serialized>();
    const parts: Buffer[] = [OPEN];
    for (const [i, id] of modelIds.entries()) {
      if (i > 0) parts.push(COMMA);
      parts.push(this.serialized(id, next).bytes);
    }
    parts.push(CLOSE);
    this.byId = next;
    return Buffer.concat(parts);
  }

  private serialized(modelId: string, into: Map<string, Serialized>): Serialized {
    const inputs = this.inputsOf(modelId);
    const old = this.byId.get(modelId);
    const entry = old !== undefined && sameInputs(old.inputs, inputs) ? old : serialize(inputs, old);
    into.set(modelId, entry);
    return entry;
  }
}

/** Serializes again only the parts whose inputs changed since `old`. */
function serialize(inputs: HealthViewInputs, old: Serialized | undefined): Serialized {
  const parts = PARTS.map((part, i) =>
    old !== undefined && part.same(old.inputs, inputs) ? old.parts[i]! : part.json(inputs),
  );
  return { inputs, parts, bytes: Buffer.from(`{${parts.join(',')}}`) };
}

/** How often the views are refreshed between reads, and for how long after the last read. */
export const KEEP_WARM = { everyMs: 1_000, forMs: 60_000 } as const;

/**
 * Returns what to call on each read: from then on, every second until a minute without reads, the views
 * that changed are serialized again. A read 5 s after the previous one at 1,000 models probed every
 * 10 s would otherwise serialize half of them itself (about 20 ms of CPU); it now finds at most a second's
 * changes left. Each change is still serialized once, and not at all while nobody reads.
 */
export function keepWarmWhileRead(bodies: HealthBodies, ids: () => readonly string[], clock: () => number): () => void {
  let lastReadAt = 0;
  let timer: NodeJS.Timeout | null = null;
  const stop = (): void => {
    if (timer !== null) clearInterval(timer);
    timer = null;
  };
  const refresh = (): void => {
    if (clock() - lastReadAt >= KEEP_WARM.forMs) return stop();
    try {
      bodies.refresh(ids());
    } catch {
      stop(); // e.g. a reload under way: the next read serializes what it needs, and reports what fails
    }
  };
  return () => {
    lastReadAt = clock();
    // unref: a refresh never keeps the process alive.
    timer ??= setInterval(refresh, KEEP_WARM.everyMs).unref();
  };
}

/** Unchanged when no part's inputs changed: the parts above are the one list of what a view depends on. */
function sameInputs(a: HealthViewInputs, b: HealthViewInputs): boolean {
  return PARTS.every((part) => part.same(a, b));
}

import type { LatencyPoint } from '../../app/latency-history.js';
import type { HealthSnapshot } from '../../domain/health/index.js';
import { uptimeOver, type StateChange, type Uptime } from '../../domain/uptime.js';
import type { FallbackEvent, TransitionRecord } from '../../store/records.js';
import type { ApiContext } from '../context.js';

/** Everything the status page shows, gathered in one place so rendering is pure. */
export interface StatusData {
  now: number;
  models: ModelStatus[];
  fallbacks: FallbackEvent[];
  timeline: TransitionRecord[];
}

export interface ModelStatus {
  id: string;
  health: HealthSnapshot;
  drain: { reason: string; at: string } | null;
  nextProbeAt: number | null;
  probing: boolean;
  uptime24h: Uptime;
  uptime7d: Uptime;
  history: LatencyPoint[];
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const WEEK_MS = 7 * DAY_MS;
const PAGE = 500;
// Bounds the work of one uptime figure whatever a flapping model recorded (40 pages of 500).
const MAX_PAGES = 40;
const RECENT = 20;
const CACHE_MS = 30_000;

/** Transitions of one model back to (and including) the first one before `since`, oldest first. */
async function changesSince(ctx: ApiContext, modelId: string, since: number): Promise<StateChange[]> {
  const out: StateChange[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const { items, nextCursor } = await ctx.store.listTransitions(modelId, PAGE, cursor);
    for (const t of items) {
      const at = Date.parse(t.at);
      out.push({ at, from: t.from, to: t.to });
      if (at < since) return out.reverse();
    }
    if (!nextCursor) break;
    cursor = nextCursor;
  }
  return out.reverse();
}

/**
 * Uptime figures. The week of transitions behind them is read again only when the model changed
 * state since (its `since` moved) or after 30 s; the figures themselves are recomputed for `now`.
 */
export class UptimeCache {
  private readonly cache = new Map<string, { readAt: number; since: number; changes: StateChange[] }>();

  async get(ctx: ApiContext, health: HealthSnapshot, now: number): Promise<{ day: Uptime; week: Uptime }> {
    let hit = this.cache.get(health.modelId);
    if (!hit || hit.since !== health.since || now - hit.readAt >= CACHE_MS) {
      hit = { readAt: now, since: health.since, changes: await changesSince(ctx, health.modelId, now - WEEK_MS) };
      this.cache.set(health.modelId, hit);
    }
    return {
      day: uptimeOver(hit.changes, now, DAY_MS, health.state),
      week: uptimeOver(hit.changes, now, WEEK_MS, health.state),
    };
  }
}

/** The newest transitions of every model, merged, newest first. */
async function timeline(ctx: ApiContext): Promise<TransitionRecord[]> {
  const pages = await Promise.all(ctx.registry.ids().map((id) => ctx.store.listTransitions(id, RECENT)));
  return pages
    .flatMap((p) => p.items)
    .sort((a, b) => b.at.localeCompare(a.at))
    .slice(0, RECENT);
}

export async function gatherStatus(ctx: ApiContext, uptimes: UptimeCache): Promise<StatusData> {
  const now = ctx.clock();
  const models = await Promise.all(
    ctx.registry.ids().map(async (id): Promise<ModelStatus> => {
      const health = ctx.healthReader.snapshot(id);
      const { day, week } = await uptimes.get(ctx, health, now);
      const next = ctx.nextProbeAt(id);
      return {
        id,
        health,
        drain: ctx.drains.get(id),
        nextProbeAt: next !== null && Number.isFinite(next) ? next : null,
        probing: ctx.probes.isProbing(id),
        uptime24h: day,
        uptime7d: week,
        history: ctx.history.since(id, now - HOUR_MS),
      };
    }),
  );
  const fallbacks = (await ctx.store.listFallbackEvents({ limit: RECENT })).items;
  return { now, models, fallbacks, timeline: await timeline(ctx) };
}

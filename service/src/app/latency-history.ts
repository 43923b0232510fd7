import type { HealthSnapshot } from '../domain/health/index.js';

export interface LatencyPoint {
  at: number;
  p50Ms: number | null;
  p95Ms: number | null;
}

/** An hour of points at the default 15 s sampling. */
export const HISTORY_POINTS = 240;
export const HISTORY_SAMPLE_MS = 15_000;

/**
 * The window's latency percentiles sampled over time, per model, in a bounded ring: what the status
 * page charts. Kept in memory only: after a restart the chart starts empty.
 */
export class LatencyHistory {
  private readonly rings = new Map<string, LatencyPoint[]>();

  constructor(private readonly capacity = HISTORY_POINTS) {}

  record(snapshots: readonly HealthSnapshot[], at: number): void {
    for (const s of snapshots) {
      const ring = this.rings.get(s.modelId) ?? [];
      ring.push({ at, p50Ms: s.latency.p50Ms, p95Ms: s.latency.p95Ms });
      if (ring.length > this.capacity) ring.splice(0, ring.length - this.capacity);
      this.rings.set(s.modelId, ring);
    }
  }

  /** Points at or after `since`, oldest first. */
  since(modelId: string, since: number): LatencyPoint[] {
    return (this.rings.get(modelId) ?? []).filter((p) => p.at >= since);
  }

  /** Drops models a reload removed. */
  keepOnly(modelIds: readonly string[]): void {
    for (const id of [...this.rings.keys()]) if (!modelIds.includes(id)) this.rings.delete(id);
  }
}

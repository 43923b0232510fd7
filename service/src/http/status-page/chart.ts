import type { LatencyPoint } from '../../app/latency-history.js';
import { esc, ms } from './format.js';

const W = 320;
const H = 90;
const PAD = 4;
const HOUR_MS = 3_600_000;

function path(
  points: LatencyPoint[],
  pick: (p: LatencyPoint) => number | null,
  x: (at: number) => number,
  y: (v: number) => number,
): string {
  let d = '';
  let pen = false;
  for (const p of points) {
    const v = pick(p);
    if (v === null) {
      pen = false;
      continue;
    }
    d += `${pen ? 'L' : 'M'}${x(p.at).toFixed(1)},${y(v).toFixed(1)} `;
    pen = true;
  }
  return d.trim();
}

/**
 * The last hour of p50 and p95 latency as a small SVG. Readable without colour: p95 is a solid
 * line, p50 a dashed one, the SLO a dotted one, each named in the caption and the text alternative.
 */
export function latencyChart(points: LatencyPoint[], now: number, sloMs: number): string {
  const values = points.flatMap((p) => [p.p50Ms, p.p95Ms]).filter((v): v is number => v !== null);
  if (values.length === 0)
    return '<p class="chart-empty">No latency figures in the last hour yet (the chart is sampled every 15 s).</p>';
  // Scaled to the figures, not to the SLO: a 3 s SLO would flatten 200 ms lines against the floor.
  const top = Math.max(...values) * 1.25;
  const sloShown = sloMs <= top;
  const x = (at: number): number => PAD + ((at - (now - HOUR_MS)) / HOUR_MS) * (W - 2 * PAD);
  const y = (v: number): number => H - PAD - (v / top) * (H - 2 * PAD);
  const p95 = points.map((p) => p.p95Ms).filter((v): v is number => v !== null);
  const last = p95.at(-1) ?? null;
  const label = `p95 latency over the last hour: lowest ${ms(Math.min(...p95))}, highest ${ms(Math.max(...p95))}, now ${ms(last)}; SLO ${ms(sloMs)}`;
  return `<figure class="chart">
<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(label)}" preserveAspectRatio="none">
${sloShown ? `<line class="slo" x1="${PAD}" x2="${W - PAD}" y1="${y(sloMs).toFixed(1)}" y2="${y(sloMs).toFixed(1)}"/>` : ''}
<path class="p50" d="${path(points, (p) => p.p50Ms, x, y)}"/>
<path class="p95" d="${path(points, (p) => p.p95Ms, x, y)}"/>
${points.length < 3 ? points.map((p) => (p.p95Ms === null ? '' : `<circle class="dot" cx="${x(p.at).toFixed(1)}" cy="${y(p.p95Ms).toFixed(1)}" r="2"/>`)).join('') : ''}
</svg>
<figcaption>Last hour: p95 solid, p50 dashed${sloShown ? `, SLO ${esc(ms(sloMs))} dotted` : `; the SLO (${esc(ms(sloMs))}) is above the chart`}; top of chart ${esc(ms(top))}.</figcaption>
</figure>`;
}

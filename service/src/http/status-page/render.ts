import type { FallbackEvent, TransitionRecord } from '../../store/records.js';
import { latencyChart } from './chart.js';
import { duration, esc, ms, percent, REASON_WORDS, relative, stateBadge, STATE_WORDS, timeTag } from './format.js';
import type { ModelStatus, StatusData } from './status-data.js';

/** The status page's HTML: the shell at `/` and the live panel the script swaps in on each event. */

function uptimeText(u: ModelStatus['uptime24h']): string {
  if (u.ratio === null) return 'no data yet';
  const knownMs = u.msByState.healthy + u.msByState.degraded + u.msByState.unhealthy;
  const observed = u.observed < 0.995 ? ` over ${duration(knownMs)} observed` : '';
  return `${percent(u.ratio, 2)} up${observed}`;
}

function nextProbe(m: ModelStatus, now: number): string {
  if (m.probing) return 'probing now';
  if (m.nextProbeAt === null) return 'not scheduled';
  return `${relative(m.nextProbeAt, now)} (${timeTag(m.nextProbeAt, now)})`;
}

function modelCard(m: ModelStatus, now: number): string {
  const h = m.health;
  const drain = m.drain
    ? `<p class="drained"><strong>Drained</strong> since ${timeTag(m.drain.at, now)}: ${esc(m.drain.reason)}. Not chosen for starts but as a last resort; still probed.</p>`
    : '';
  const figures: Array<[string, string]> = [
    ['Latency p50 / p95 / p99', `${ms(h.latency.p50Ms)} / ${ms(h.latency.p95Ms)} / ${ms(h.latency.p99Ms)}`],
    ['Time to first token p50 / p95 / p99', `${ms(h.ttft.p50Ms)} / ${ms(h.ttft.p95Ms)} / ${ms(h.ttft.p99Ms)}`],
    ['Error rate', `${percent(h.errorRate)} over ${h.samples.total} samples`],
    ['Uptime, last 24 h', uptimeText(m.uptime24h)],
    ['Uptime, last 7 days', uptimeText(m.uptime7d)],
    ['Next probe', nextProbe(m, now)],
    ['In this state since', timeTag(h.since, now)],
    ['In rotation', m.drain ? 'no (drained)' : 'yes'],
  ];
  return `<article class="model state-${h.state}${m.drain ? ' is-drained' : ''}" data-model="${esc(m.id)}" data-state="${h.state}" data-drained="${m.drain ? 'true' : 'false'}">
<h3><span class="model-id">${esc(m.id)}</span> ${stateBadge(h.state)}${m.drain ? ' <span class="badge-drained">Drained</span>' : ''}</h3>
<p class="reason">${esc(h.reason)}</p>
${drain}<dl>${figures.map(([k, v]) => `<div><dt>${k}</dt><dd>${v}</dd></div>`).join('')}</dl>
${latencyChart(m.history, now, h.thresholds.latencySloMs)}
</article>`;
}

function attempts(e: FallbackEvent): string {
  return e.attempts
    .map(
      (a) => `${esc(a.modelId)}: ${esc(a.outcome)}${a.httpStatus ? ` (HTTP ${a.httpStatus})` : ''}, ${ms(a.latencyMs)}`,
    )
    .join('; ');
}

function fallbackItem(e: FallbackEvent, now: number): string {
  const ev = e.primaryHealth;
  return `<li class="fallback" data-fallback="${esc(e.id)}">
<p>${timeTag(e.at, now)} <strong>${esc(e.primary)}</strong> → <strong>${esc(e.chosen)}</strong>: ${esc(REASON_WORDS[e.reason] ?? e.reason)} <span class="code">(${esc(e.reason)}, source ${esc(e.source)}${e.simulationId ? `, simulation ${esc(e.simulationId)}` : ''})</span></p>
<p class="evidence">Evidence: primary was ${STATE_WORDS[ev.state].label.toLowerCase()} (${esc(ev.reason)}); p95 ${ms(ev.p95Ms)}, error rate ${percent(ev.errorRate)} over ${ev.samples} samples, ${ev.consecutiveFailures} failures in a row. Attempts: ${attempts(e)}.</p>
</li>`;
}

function timelineItem(t: TransitionRecord, now: number): string {
  return `<li>${timeTag(t.at, now)} <strong>${esc(t.modelId)}</strong>: ${STATE_WORDS[t.from].label} → ${stateBadge(t.to)} <span class="reason">${esc(t.reason)}</span></li>`;
}

function summary(data: StatusData): string {
  const counts = new Map<string, number>();
  for (const m of data.models) counts.set(m.health.state, (counts.get(m.health.state) ?? 0) + 1);
  const parts = (['healthy', 'degraded', 'unhealthy', 'unknown'] as const)
    .filter((s) => counts.has(s))
    .map((s) => `${counts.get(s)} ${s}`);
  const drained = data.models.filter((m) => m.drain).length;
  return `${data.models.length} models: ${parts.join(', ')}${drained ? `; ${drained} drained` : ''}`;
}

/** The live part of the page. */
export function renderPanel(data: StatusData): string {
  const { now } = data;
  const fallbacks = data.fallbacks.length
    ? `<ol class="fallbacks">${data.fallbacks.map((e) => fallbackItem(e, now)).join('')}</ol>`
    : '<p>No fallbacks recorded.</p>';
  const timeline = data.timeline.length
    ? `<ol class="timeline">${data.timeline.map((t) => timelineItem(t, now)).join('')}</ol>`
    : '<p>No transitions recorded.</p>';
  return `<p class="summary" id="summary">${esc(summary(data))}. Updated ${timeTag(now, now)}.</p>
<section aria-labelledby="models-h"><h2 id="models-h">Models</h2><div class="models">${data.models.map((m) => modelCard(m, now)).join('')}</div></section>
<section aria-labelledby="fallbacks-h"><h2 id="fallbacks-h">Recent fallbacks</h2>${fallbacks}</section>
<section aria-labelledby="timeline-h"><h2 id="timeline-h">Timeline of health changes</h2>${timeline}</section>`;
}

/** The whole page; `panel` is null when reads need the token (the script asks for it). */
export function renderPage(panel: string | null): string {
  const locked = panel === null;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Modelwatch status</title>
<link rel="stylesheet" href="/static/status.css">
<script src="/static/status.js" defer></script>
</head>
<body data-locked="${locked}">
<header><h1>Modelwatch status</h1><p id="live" role="status">${locked ? 'Not connected: this service needs its API token to show status.' : 'Live updates: connecting…'}</p></header>
<form id="token-form"${locked ? '' : ' hidden'}>
<label for="token">API token (MODELWATCH_API_TOKEN; kept in this tab only)</label>
<input id="token" name="token" type="password" autocomplete="off" required minlength="16">
<button type="submit">Show status</button>
</form>
<main id="panel" aria-live="polite">${panel ?? ''}</main>
<footer><p>API: <a href="/v1/health">/v1/health</a> · <a href="/v1/models">/v1/models</a> · <a href="/v1/fallbacks">/v1/fallbacks</a> · <a href="/openapi.json">/openapi.json</a> · event stream <code>/v1/events</code></p></footer>
</body>
</html>
`;
}

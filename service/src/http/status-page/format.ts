import type { HealthState } from '../../domain/health/index.js';
import type { FallbackReason } from '../../domain/selection.js';

/** Words, numbers and escaping for the status page: state is always written out, never colour alone. */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const esc = (value: unknown): string => String(value).replace(/[&<>"']/g, (c) => ESCAPES[c]!);

export const STATE_WORDS: Record<HealthState, { mark: string; label: string }> = {
  healthy: { mark: '✔', label: 'Healthy' },
  degraded: { mark: '▲', label: 'Degraded' },
  unhealthy: { mark: '✖', label: 'Unhealthy' },
  unknown: { mark: '?', label: 'Unknown' },
};

export const stateBadge = (state: HealthState): string =>
  `<span class="state state-${state}"><span aria-hidden="true">${STATE_WORDS[state].mark}</span> ${STATE_WORDS[state].label}</span>`;

export const REASON_WORDS: Record<FallbackReason, string> = {
  primary_unhealthy: 'the primary was unhealthy',
  primary_degraded: 'the primary was degraded and a healthy model was available',
  primary_failed: 'the primary failed when it was tried',
  primary_drained: 'the primary is drained (out of rotation)',
  primary_slow: 'the primary had no first token in time and a hedged model answered first',
  no_healthy_model: 'nothing else was usable, so the primary served anyway',
};

export function ms(value: number | null): string {
  if (value === null) return '—';
  return value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${Math.round(value)} ms`;
}

export const percent = (ratio: number | null, digits = 1): string =>
  ratio === null ? '—' : `${(ratio * 100).toFixed(digits)}%`;

/** "14:03:07 UTC" today, "2026-11-30 14:03 UTC" otherwise. */
export function clockTime(at: number | string, now: number): string {
  const iso = new Date(at).toISOString();
  const sameDay = iso.slice(0, 10) === new Date(now).toISOString().slice(0, 10);
  return sameDay ? `${iso.slice(11, 19)} UTC` : `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

export const timeTag = (at: number | string, now: number): string =>
  `<time datetime="${esc(new Date(at).toISOString())}">${esc(clockTime(at, now))}</time>`;

/** "45 s", "12 min", "3.5 h", "2.1 days". */
export function duration(msValue: number): string {
  const s = msValue / 1000;
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  if (s < 129_600) return `${(s / 3600).toFixed(1)} h`;
  return `${(s / 86_400).toFixed(1)} days`;
}

/** "in 4 s", "now", "12 min ago". */
export function relative(at: number, now: number): string {
  const s = Math.round((at - now) / 1000);
  if (Math.abs(s) < 1) return 'now';
  const abs = Math.abs(s);
  const text = abs < 90 ? `${abs} s` : abs < 5400 ? `${Math.round(abs / 60)} min` : `${Math.round(abs / 3600)} h`;
  return s > 0 ? `in ${text}` : `${text} ago`;
}

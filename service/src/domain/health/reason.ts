// Reason texts: every verdict says why in words AND numbers, e.g. "p95 3.8 s > SLO 3 s over 14 samples".
import type { Outcome } from './types.js';

/** "412 ms", "3.8 s", "41 s", "5 min", "2.5 h": short, and precise where precision matters (near an SLO). */
export function formatDuration(ms: number): string {
  const value = Math.max(ms, 0);
  if (Math.round(value) < 1000) return `${Math.round(value)} ms`;
  if (value < 9_950) return `${trimDecimal(value / 1000)} s`;
  if (value < 119_500) return `${Math.round(value / 1000)} s`;
  if (value < 7_170_000) return `${trimDecimal(value / 60_000)} min`;
  return `${trimDecimal(value / 3_600_000)} h`;
}

/** "60%", "9.1%", "0%". */
export function formatPercent(ratio: number): string {
  return `${trimDecimal(ratio * 100)}%`;
}

/** One decimal, none when it is 0: "3.8", "3". (String of k/10 is its shortest decimal; toFixed is slower.) */
function trimDecimal(value: number): string {
  return String(Math.round(value * 10) / 10);
}

/** "1 sample", "12 samples". */
export function plural(count: number, noun: string, pluralNoun = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : pluralNoun}`;
}

/** "server_error (HTTP 500)", "timeout". */
export function describeOutcome(outcome: Outcome, httpStatus: number | null): string {
  return httpStatus === null ? outcome : `${outcome} (HTTP ${httpStatus})`;
}

export const NO_SAMPLES_YET = 'no samples yet';

export function staleReason(ageMs: number, staleAfterMs: number): string {
  return `no sample for ${formatDuration(ageMs)} (stale after ${formatDuration(staleAfterMs)})`;
}

export function consecutiveFailuresReason(count: number, outcome: Outcome, httpStatus: number | null): string {
  return `${count} consecutive failures: ${describeOutcome(outcome, httpStatus)}`;
}

export function errorRateReason(rate: number, threshold: number, total: number): string {
  return `error rate ${formatPercent(rate)} ≥ ${formatPercent(threshold)} over ${plural(total, 'sample')}`;
}

export function rateLimitedReason(ageMs: number, httpStatus: number | null): string {
  return `rate limited${httpStatus === null ? '' : ` (HTTP ${httpStatus})`} ${formatDuration(ageMs)} ago`;
}

/** Over how many samples a latency figure was computed: "14 samples", or "14 successful samples" when some failed. */
export function latencyBasis(successCount: number, totalCount: number): string {
  return successCount === totalCount ? plural(successCount, 'sample') : plural(successCount, 'successful sample');
}

export function slowCallsNote(slowCallRate: number): string {
  return `${formatPercent(slowCallRate)} slower than SLO`;
}

export function recoveryProgress(streak: number, required: number): string {
  return `recovery ${streak}/${required} successful probes`;
}

export function recoveredReason(streak: number, required: number): string {
  return `${streak}/${required} successful probes after unhealthy`;
}

export function noFirstTokenReason(misses: number, budgetMs: number): string {
  return `${misses} calls in a row had no first token within ${formatDuration(budgetMs)} (hedge delay)`;
}

export function forgivenReason(streak: number): string {
  return `${streak} probes within SLO in a row after degraded`;
}

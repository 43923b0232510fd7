import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { HEALTH_STATES, OUTCOMES, type HealthSnapshot, type Outcome, type Transition } from '../domain/health/index.js';
import type { RegisteredModel } from '../domain/model-registry.js';
import { callCostUsd, type TokenUsage } from '../domain/pricing.js';
import type { FallbackReason, FallbackSource } from '../domain/selection.js';
import { FALLBACK_REASONS } from '../domain/selection.js';

// OpenTelemetry GenAI duration buckets, plus 3 s: the default latency SLO should be a bucket boundary.
export const LATENCY_BUCKETS = [
  0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 3, 5.12, 10.24, 20.48, 40.96, 81.92,
];
const QUANTILES = [
  ['0.5', 'p50Ms'],
  ['0.95', 'p95Ms'],
  ['0.99', 'p99Ms'],
] as const;
export const START_OUTCOMES = ['started', 'unavailable'] as const;
const FALLBACK_SOURCES: Array<FallbackSource | 'primary'> = ['caller', 'simulation', 'auto', 'primary'];
// Up to this many models every series is created at 0 up front (a rate() sees the first event). Above it,
// only what grows linearly and is read at once is: pairs of models (starts and fallbacks, N² series) and
// the series of events that may never happen (failure outcomes, transitions, starts' histograms) are
// created on first use, so /metrics stays linear and cheap at 1,000 models (bench/scale.py).
export const MAX_MODELS_FOR_FULL_PRESET = 20;

// prom-client types exemplar labels as the metric's own label names; the exemplar's are its own.
const exemplar = (traceId: string | null): Record<string, string> => (traceId ? { trace_id: traceId } : {});

const seconds = (ms: number | null): number => (ms === null ? NaN : ms / 1000);

export type StartOutcome = (typeof START_OUTCOMES)[number];

/** Every metric of the service. Label values come only from the registry and closed enums. */
export class ServiceMetrics {
  private readonly probes: Counter<'model' | 'provider' | 'outcome'>;
  private readonly probeDuration: Histogram<'model' | 'provider'>;
  private readonly probeTtft: Histogram<'model' | 'provider'>;
  private readonly lastSuccess: Gauge<'model'>;
  private readonly healthState: Gauge<'model' | 'state'>;
  private readonly windowLatency: Gauge<'model' | 'quantile'>;
  private readonly windowTtft: Gauge<'model' | 'quantile'>;
  private readonly errorRatio: Gauge<'model'>;
  private readonly transitions: Counter<'model' | 'from' | 'to'>;
  private readonly starts: Counter<'requested_model' | 'model' | 'outcome'>;
  private readonly startDuration: Histogram<'model'>;
  private readonly fallbacks: Counter<'primary' | 'chosen' | 'reason' | 'source'>;
  private readonly probeTokens: Counter<'model' | 'type'>;
  private readonly probeCost: Counter<'model'>;
  private readonly agentUp: Gauge;
  private readonly providerOf: Map<string, string>;
  private readonly pricing: Map<string, RegisteredModel['pricing']>;
  /** Per model, the snapshot whose figures the health gauges show (setHealth sets only what differs). */
  private readonly inGauges = new Map<string, HealthSnapshot>();

  constructor(
    readonly registry: Registry,
    models: readonly RegisteredModel[],
  ) {
    const registers = [registry];
    this.providerOf = new Map(models.map((m) => [m.id, m.provider]));
    this.pricing = new Map(models.map((m) => [m.id, m.pricing]));
    const c = <L extends string>(name: string, help: string, labelNames: L[]) =>
      new Counter<L>({ name, help, labelNames, registers });
    const g = <L extends string>(name: string, help: string, labelNames: L[]) =>
      new Gauge<L>({ name, help, labelNames, registers });
    const h = <L extends string>(name: string, help: string, labelNames: L[]) =>
      new Histogram<L>({ name, help, labelNames, buckets: LATENCY_BUCKETS, registers, enableExemplars: true });

    this.probes = c('modelwatch_probes_total', 'Probes sent to each model, by outcome class.', [
      'model',
      'provider',
      'outcome',
    ]);
    this.probeDuration = h('modelwatch_probe_duration_seconds', 'Total latency of each probe.', ['model', 'provider']);
    this.probeTtft = h('modelwatch_probe_ttft_seconds', 'Time to first token of each streamed probe.', [
      'model',
      'provider',
    ]);
    this.lastSuccess = g(
      'modelwatch_probe_last_success_timestamp_seconds',
      'Unix time of the last successful probe (0: none yet).',
      ['model'],
    );
    this.healthState = g(
      'modelwatch_model_health_state',
      'Current health state: 1 for the state the model is in, 0 for the others.',
      ['model', 'state'],
    );
    this.windowLatency = g(
      'modelwatch_model_latency_seconds',
      'Latency percentiles over the health window, as the verdict used them.',
      ['model', 'quantile'],
    );
    this.windowTtft = g('modelwatch_model_ttft_seconds', 'Time-to-first-token percentiles over the health window.', [
      'model',
      'quantile',
    ]);
    this.errorRatio = g('modelwatch_model_error_ratio', 'Share of failed calls in the health window (0-1).', ['model']);
    this.transitions = c('modelwatch_health_transitions_total', 'Health state changes.', ['model', 'from', 'to']);
    this.starts = c(
      'modelwatch_interview_starts_total',
      'Interview starts, by requested model, the model used, and outcome.',
      ['requested_model', 'model', 'outcome'],
    );
    this.startDuration = h(
      'modelwatch_interview_start_duration_seconds',
      'Time to start an interview, every attempt included.',
      ['model'],
    );
    this.fallbacks = c(
      'modelwatch_fallbacks_total',
      'Interview starts that did not run on the requested primary as planned: it was unhealthy, degraded, failed, or served only because nothing else could.',
      ['primary', 'chosen', 'reason', 'source'],
    );
    this.probeTokens = c('modelwatch_probe_tokens_total', 'Tokens spent by probes.', ['model', 'type']);
    this.probeCost = c(
      'modelwatch_probe_cost_usd_total',
      'Estimated money spent by probes, from the configured price table.',
      ['model'],
    );
    this.agentUp = new Gauge({
      name: 'modelwatch_agent_up',
      help: '1 when the last exchange with the agent got an answer.',
      registers,
    });
    this.presetSeries(models, models);
  }

  /** After a config reload: series for the added models; the gauges of removed ones go away. */
  syncModels(models: readonly RegisteredModel[], added: readonly string[], removed: readonly string[]): void {
    for (const m of models) {
      this.providerOf.set(m.id, m.provider);
      this.pricing.set(m.id, m.pricing);
    }
    this.presetSeries(
      models.filter((m) => added.includes(m.id)),
      models,
    );
    for (const model of removed) {
      this.inGauges.delete(model);
      for (const state of HEALTH_STATES) this.healthState.remove({ model, state });
      for (const [quantile] of QUANTILES) {
        this.windowLatency.remove({ model, quantile });
        this.windowTtft.remove({ model, quantile });
      }
      this.errorRatio.remove({ model });
      this.lastSuccess.remove({ model });
    }
  }

  /** Zero series for `fresh` models; the pairs over `all` (adding 0 to an existing series changes nothing). */
  private presetSeries(fresh: readonly RegisteredModel[], all: readonly RegisteredModel[]): void {
    const ids = all.map((m) => m.id);
    const full = ids.length <= MAX_MODELS_FOR_FULL_PRESET;
    this.startDuration.zero({ model: 'none' });
    for (const m of fresh) {
      this.inGauges.delete(m.id); // its gauges start again from the preset below
      for (const outcome of full ? OUTCOMES : (['success'] as const))
        this.probes.inc({ model: m.id, provider: m.provider, outcome }, 0);
      this.probeDuration.zero({ model: m.id, provider: m.provider });
      this.probeTtft.zero({ model: m.id, provider: m.provider });
      this.lastSuccess.set({ model: m.id }, 0);
      this.setState(m.id, 'unknown');
      for (const [quantile] of QUANTILES) {
        this.windowLatency.set({ model: m.id, quantile }, NaN);
        this.windowTtft.set({ model: m.id, quantile }, NaN);
      }
      this.errorRatio.set({ model: m.id }, NaN);
      for (const type of ['input', 'output']) this.probeTokens.inc({ model: m.id, type }, 0);
      this.probeCost.inc({ model: m.id }, 0);
      // The start-error SLO rules read the model's own and the "none" series: always there from 0.
      for (const outcome of START_OUTCOMES)
        for (const used of [m.id, 'none']) this.starts.inc({ requested_model: m.id, model: used, outcome }, 0);
      if (!full) continue;
      this.startDuration.zero({ model: m.id });
      for (const from of HEALTH_STATES)
        for (const to of HEALTH_STATES) if (from !== to) this.transitions.inc({ model: m.id, from, to }, 0);
    }
    if (!full) return;
    for (const requested of ids)
      for (const outcome of START_OUTCOMES)
        for (const used of ids) this.starts.inc({ requested_model: requested, model: used, outcome }, 0);
    for (const primary of ids)
      for (const chosen of ids)
        for (const reason of FALLBACK_REASONS)
          for (const source of FALLBACK_SOURCES) {
            if ((source === 'primary') !== (primary === chosen)) continue;
            this.fallbacks.inc({ primary, chosen, reason, source }, 0);
          }
  }

  observeProbe(
    modelId: string,
    r: {
      outcome: Outcome;
      latencyMs: number;
      ttftMs: number | null;
      usage: TokenUsage | null;
    },
    at: number,
    traceId: string | null,
  ): void {
    const labels = { model: modelId, provider: this.providerOf.get(modelId) ?? 'unknown' };
    const exemplarLabels = exemplar(traceId);
    this.probes.inc({ ...labels, outcome: r.outcome });
    this.probeDuration.observe({ labels, value: r.latencyMs / 1000, exemplarLabels });
    if (r.ttftMs !== null) this.probeTtft.observe({ labels, value: r.ttftMs / 1000, exemplarLabels });
    if (r.outcome === 'success') this.lastSuccess.set({ model: modelId }, at / 1000);
    if (r.usage) {
      this.probeTokens.inc({ model: modelId, type: 'input' }, r.usage.inputTokens);
      this.probeTokens.inc({ model: modelId, type: 'output' }, r.usage.outputTokens);
      const price = this.pricing.get(modelId);
      if (price) this.probeCost.inc({ model: modelId }, callCostUsd(price, r.usage));
    }
  }

  /**
   * Sets only the gauges whose figure differs from the snapshot last shown for the model: prom-client replaces
   * a gauge's series object on every set, so 11 sets per probe (twice: call started, sample) were old-space
   * garbage at 1,000 models, while most snapshots differ from the last only in what the gauges do not show.
   */
  setHealth(s: HealthSnapshot): void {
    const before = this.inGauges.get(s.modelId);
    this.inGauges.set(s.modelId, s);
    const changed = (figure: (x: HealthSnapshot) => number): boolean =>
      !before || !Object.is(figure(before), figure(s));
    if (before?.state !== s.state) this.setState(s.modelId, s.state);
    for (const [quantile, key] of QUANTILES) {
      const latency = (x: HealthSnapshot) => seconds(x.latency[key]);
      const ttft = (x: HealthSnapshot) => seconds(x.ttft[key]);
      if (changed(latency)) this.windowLatency.set({ model: s.modelId, quantile }, latency(s));
      if (changed(ttft)) this.windowTtft.set({ model: s.modelId, quantile }, ttft(s));
    }
    const ratio = (x: HealthSnapshot) => x.errorRate ?? NaN;
    if (changed(ratio)) this.errorRatio.set({ model: s.modelId }, ratio(s));
  }

  countTransition(t: Transition): void {
    this.transitions.inc({ model: t.modelId, from: t.from, to: t.to });
  }

  observeStart(
    requestedModel: string,
    model: string | null,
    outcome: StartOutcome,
    durationMs: number,
    traceId: string | null,
  ): void {
    this.starts.inc({ requested_model: requestedModel, model: model ?? 'none', outcome });
    // Starts that could not start are timed too (model="none"): a slow 503 is what a candidate waits through.
    this.startDuration.observe({
      labels: { model: model ?? 'none' },
      value: durationMs / 1000,
      exemplarLabels: exemplar(traceId),
    });
  }

  countFallback(primary: string, chosen: string, reason: FallbackReason, source: FallbackSource | 'primary'): void {
    this.fallbacks.inc({ primary, chosen, reason, source });
  }

  setAgentUp(up: boolean): void {
    this.agentUp.set(up ? 1 : 0);
  }

  private setState(modelId: string, state: string): void {
    for (const s of HEALTH_STATES) this.healthState.set({ model: modelId, state: s }, s === state ? 1 : 0);
  }
}

export function createRegistry(withDefaultMetrics = true): Registry {
  const registry = new Registry();
  registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE as never);
  if (withDefaultMetrics) collectDefaultMetrics({ register: registry });
  return registry;
}

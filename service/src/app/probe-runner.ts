import { SpanKind, SpanStatusCode, type Tracer } from '@opentelemetry/api';
import {
  AgentRejectedError,
  AgentUnavailableError,
  measurementOf,
  type AgentCallResult,
  type AgentClient,
  type TokenUsage,
} from '../agent/agent-client.js';
import type { ModelRegistry } from '../domain/model-registry.js';
import type { ProbeSkipReason } from '../domain/probe-plan.js';
import type { Logger } from '../telemetry/logger.js';
import type { ServiceMetrics } from '../telemetry/metrics.js';
import type { ProbeScheduleMetrics } from '../telemetry/probe-schedule-metrics.js';
import { currentTraceId } from '../telemetry/tracing.js';
import type { HealthRecorder } from './health-recorder.js';
import { settleWithin } from './settle-within.js';
import { listFields, requireRegistered } from './registered-models.js';

export type ProbeReport =
  | { modelId: string; probed: true; result: AgentCallResult; at: number }
  | { modelId: string; probed: false; skipped: string };

/** Sends one probe per model through the agent; never two at once for the same model. */
export class ProbeRunner {
  private readonly inFlight = new Map<string, Promise<ProbeReport>>();
  private readonly lastUsage = new Map<string, TokenUsage>();
  private readonly finishedListeners: Array<(modelId: string) => void> = [];

  constructor(
    private readonly deps: {
      registry: ModelRegistry;
      agent: AgentClient;
      recorder: HealthRecorder;
      metrics: ServiceMetrics;
      scheduleMetrics: ProbeScheduleMetrics;
      tracer: Tracer;
      logger: Logger;
      clock: () => number;
    },
  ) {}

  /** Called after every probe of any model ends, scheduled or asked for through the API. */
  onFinished(listener: (modelId: string) => void): void {
    this.finishedListeners.push(listener);
  }

  /** Tokens the model's last probe spent: the basis of the probe-cost estimate. */
  usageOf(modelId: string): TokenUsage | null {
    return this.lastUsage.get(modelId) ?? null;
  }

  isProbing(modelId: string): boolean {
    return this.inFlight.has(modelId);
  }

  /** Probes the model now, or joins the probe already under way. */
  probe(modelId: string): Promise<ProbeReport> {
    const running = this.inFlight.get(modelId);
    if (running) return running;
    const started = this.run(modelId).finally(() => {
      this.inFlight.delete(modelId);
      for (const listener of this.finishedListeners) listener(modelId);
    });
    this.inFlight.set(modelId, started);
    return started;
  }

  /** Resolves when the probes under way have finished, or after `timeoutMs`. */
  drain(timeoutMs: number): Promise<void> {
    return settleWithin(this.inFlight.values(), timeoutMs);
  }

  /** Probes now the models a request names (every registered model when it names none), each once. */
  probeRequested(modelIds: readonly string[] | undefined): Promise<ProbeReport[]> {
    const ids = modelIds ?? this.deps.registry.ids();
    requireRegistered(this.deps.registry, listFields('models', ids));
    return Promise.all([...new Set(ids)].map((id) => this.probe(id)));
  }

  private run(modelId: string): Promise<ProbeReport> {
    const { registry, tracer } = this.deps;
    const model = registry.get(modelId);
    if (!model) return Promise.resolve({ modelId, probed: false, skipped: 'not registered' });
    // Each probe is its own trace: root span, never a child of whatever triggered it.
    return tracer.startActiveSpan(
      `probe ${modelId}`,
      { root: true, kind: SpanKind.INTERNAL, attributes: { 'modelwatch.model': modelId } },
      async (span) => {
        const at = this.deps.clock();
        // A probe in flight is in-flight evidence too: hung past the first-token budget, it is a miss now.
        const callId = `probe:${modelId}:${at}`;
        this.deps.recorder.callStarted(modelId, callId, at);
        try {
          const result = await this.deps.agent.probe({
            modelId,
            provider: model.provider,
            model: model.model,
            timeoutMs: model.probe.timeoutMs,
            maxTokens: model.probe.maxTokens,
          });
          this.apply(modelId, result, at, callId);
          span.setAttributes({ 'modelwatch.outcome': result.outcome, 'modelwatch.latency_ms': result.latencyMs });
          if (result.outcome !== 'success') span.setStatus({ code: SpanStatusCode.ERROR, message: result.outcome });
          return { modelId, probed: true as const, result, at };
        } catch (err) {
          // The agent down, overloaded, or refusing this model's configuration says nothing about the provider:
          // no sample, but a skipped probe, counted by reason.
          this.deps.recorder.callForgotten(modelId, callId);
          const reason =
            err instanceof AgentUnavailableError || err instanceof AgentRejectedError
              ? err.message
              : `internal error: ${String(err)}`;
          const skip = skipReasonOf(err);
          this.deps.scheduleMetrics.countSkipped(skip);
          span.setStatus({ code: SpanStatusCode.ERROR, message: reason });
          this.deps.logger.warn({ event: 'probe_skipped', model: modelId, skip, reason }, 'probe not sent');
          return { modelId, probed: false as const, skipped: reason };
        } finally {
          span.end();
        }
      },
    );
  }

  private apply(modelId: string, result: AgentCallResult, at: number, callId: string): void {
    const { recorder, metrics, logger } = this.deps;
    metrics.observeProbe(modelId, result, this.deps.clock(), currentTraceId());
    if (result.usage) this.lastUsage.set(modelId, result.usage);
    recorder.recordSample(modelId, {
      at: this.deps.clock(),
      startedAt: at,
      callId,
      source: 'probe',
      ...measurementOf(result),
    });
    logger.debug(
      {
        event: 'probe',
        model: modelId,
        outcome: result.outcome,
        latencyMs: result.latencyMs,
        ttftMs: result.ttftMs,
        startedAt: at,
      },
      'probe done',
    );
  }
}

// The agent-client's detail for an answer that is not 2xx: "<path> answered HTTP <status>...".
const SHEDDING = /answered HTTP (?:503|429)\b/;

/** Which of the monitor's own reasons kept the probe from being a sample. */
export function skipReasonOf(err: unknown): ProbeSkipReason {
  if (err instanceof AgentRejectedError) return 'agent_rejected';
  // 503 (overloaded, Retry-After) or 429 from the agent itself: it shed the call before any provider saw it.
  if (err instanceof AgentUnavailableError && SHEDDING.test(err.detail)) return 'agent_overloaded';
  return 'agent_unavailable';
}

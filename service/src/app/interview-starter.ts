import { randomUUID } from 'node:crypto';
import { SpanKind, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import {
  AgentRejectedError,
  AgentUnavailableError,
  measurementOf,
  type AgentCallResult,
  type AgentClient,
} from '../agent/agent-client.js';
import type { HealthReader } from '../domain/health/index.js';
import type { ModelRegistry } from '../domain/model-registry.js';
import { planSelection, type Candidate, type SelectionPlan } from '../domain/selection.js';
import type {
  AttemptMeasurement,
  AttemptRecord,
  FallbackEvent,
  HealthEvidence,
  IdempotencyKey,
  IdempotentStart,
  InterviewRecord,
} from '../store/records.js';
import type { AsyncStore } from '../store/async-store.js';
import { StorageError } from '../store/storage-errors.js';
import type { Logger } from '../telemetry/logger.js';
import type { ServiceMetrics } from '../telemetry/metrics.js';
import { currentTraceId } from '../telemetry/tracing.js';
import { AppError } from './app-error.js';
import type { EventHub } from './event-hub.js';
import type { HealthRecorder } from './health-recorder.js';
import { settleWithin } from './settle-within.js';
import { buildStartRecords } from './start-records.js';
import { idempotencyKeyReused, requestFingerprint } from './request-fingerprint.js';
import { resolveInterview, type InterviewRequest, type ResolvedInterview } from './interview-request.js';

// Bounds the work one start can cause, whatever the number of registered models.
export const MAX_ATTEMPTS = 5;
const AGENT_ANSWER_MARGIN_MS = 250;
const MIN_ATTEMPT_MS = 1_000;

export interface InterviewStarterDeps {
  registry: ModelRegistry;
  healthReader: HealthReader;
  agent: AgentClient;
  recorder: HealthRecorder;
  store: AsyncStore;
  metrics: ServiceMetrics;
  tracer: Tracer;
  logger: Logger;
  clock: () => number;
  settings: { deadlineMs: number; attemptTimeoutMs: number; maxTokens: number };
  /** Operator drains: drained models are the last resort (domain/selection.ts). */
  isDrained?: (modelId: string) => boolean;
  events?: EventHub;
}

export interface StartResult {
  record: InterviewRecord;
  event: FallbackEvent | null;
  replayed: boolean;
}

/** An attempt the agent refused to make: no provider answered, so there is nothing else to report. */
type Refusal = AttemptMeasurement & { outcome: 'agent_refused' };

interface AttemptsOutcome {
  chosen: Candidate | null;
  attempts: AttemptRecord[];
  result: AgentCallResult | null;
}

/** A candidate a config reload removed between the plan and its attempt: skipped, not judged. */
function removedResult(): AgentCallResult {
  return {
    outcome: 'bad_request',
    latencyMs: 0,
    ttftMs: null,
    httpStatus: null,
    usage: null,
    requestId: null,
    responseModel: null,
    errorMessage: 'the model was removed from the registry by a config reload',
  };
}

/** Starts interviews on the best model available and keeps the audit record of why. */
export class InterviewStarter {
  private readonly pending = new Map<string, { fingerprint: string; started: Promise<StartResult> }>();
  private readonly inFlight = new Set<Promise<StartResult>>();

  constructor(private readonly deps: InterviewStarterDeps) {}

  /**
   * A retry with the same idempotency key and the same request gets the first start's interview;
   * nothing is recorded twice. The same key with another request is refused (422).
   */
  start(req: InterviewRequest, idempotencyKey: string | null): Promise<StartResult> {
    if (!idempotencyKey) return this.startNew(req, null);
    const key = { key: idempotencyKey, fingerprint: requestFingerprint(req) };
    const pending = this.pending.get(idempotencyKey);
    if (pending) {
      if (pending.fingerprint !== key.fingerprint) return Promise.reject(idempotencyKeyReused(idempotencyKey));
      return pending.started.then((r) => ({ ...r, replayed: true }));
    }
    const started = this.startKeyed(req, key).finally(() => this.pending.delete(idempotencyKey));
    this.pending.set(idempotencyKey, { fingerprint: key.fingerprint, started });
    return started;
  }

  /** Rows stored before fingerprints existed (null) are replayed as before: there is nothing to compare. */
  private async replay(key: IdempotencyKey, stored: IdempotentStart): Promise<StartResult> {
    if (stored.fingerprint !== null && stored.fingerprint !== key.fingerprint) throw idempotencyKeyReused(key.key);
    return { record: stored.record, event: await this.eventOf(stored.record), replayed: true };
  }

  /** The key may have been used on another replica: the shared store answers first. */
  private async startKeyed(req: InterviewRequest, key: IdempotencyKey): Promise<StartResult> {
    const stored = await this.deps.store.getInterviewByIdempotencyKey(key.key);
    if (stored) return this.replay(key, stored);
    return this.startNew(req, key);
  }

  private async eventOf(record: InterviewRecord): Promise<FallbackEvent | null> {
    return record.fallback ? this.deps.store.getFallbackEvent(record.fallback.eventId) : null;
  }

  /** Resolves when every start under way has answered, or after `timeoutMs`. */
  drain(timeoutMs: number): Promise<void> {
    return settleWithin(this.inFlight, timeoutMs);
  }

  private startNew(req: InterviewRequest, idempotencyKey: IdempotencyKey | null): Promise<StartResult> {
    const running = this.resolveAndRun(req, idempotencyKey);
    this.inFlight.add(running);
    void running.finally(() => this.inFlight.delete(running)).catch(() => undefined);
    return running;
  }

  private async resolveAndRun(req: InterviewRequest, idempotencyKey: IdempotencyKey | null): Promise<StartResult> {
    const resolved = await resolveInterview(req, this.deps.store, this.deps.registry);
    const startedAt = this.deps.clock();
    return this.run(resolved, idempotencyKey, startedAt).catch((err: unknown) => {
      // Whatever went wrong after the request was accepted, the interview did not start: count it for the SLO.
      this.deps.metrics.observeStart(
        resolved.primary,
        null,
        'unavailable',
        this.deps.clock() - startedAt,
        currentTraceId(),
      );
      throw err;
    });
  }

  private async run(
    resolved: ResolvedInterview,
    idempotencyKey: IdempotencyKey | null,
    startedAt: number,
  ): Promise<StartResult> {
    const { store, clock } = this.deps;
    this.ensureRecordable();
    const interviewId = `iv_${randomUUID()}`;
    const plan = this.plan(resolved);
    const evidence = this.evidence(resolved.primary);
    const outcome = await this.attemptInOrder(plan, interviewId, resolved.interview, startedAt);
    const durationMs = clock() - startedAt;
    if (!outcome.chosen || !outcome.result) {
      throw new AppError(
        503,
        'no_model_available',
        `no model could start the interview within ${this.deps.settings.deadlineMs / 1000} s`,
        {
          candidates: plan.considered.map((c) => ({
            model: c.modelId,
            source: c.source,
            state: c.state,
            reason: c.reason,
          })),
          attempts: outcome.attempts,
        },
      );
    }
    const { record, event } = buildStartRecords({
      resolved,
      plan,
      chosen: outcome.chosen,
      result: outcome.result,
      attempts: outcome.attempts,
      evidence,
      interviewId,
      startedAt,
      durationMs,
    });
    const fresh = await store.recordInterview(record, event, idempotencyKey);
    if (!fresh && idempotencyKey) {
      // Lost a race with another process on the same key: answer with the interview that won.
      const winner = await store.getInterviewByIdempotencyKey(idempotencyKey.key);
      if (winner) return this.replay(idempotencyKey, winner);
    }
    this.report(record, event, durationMs);
    return { record, event, replayed: false };
  }

  /** A start the store could not record must not be paid for: the store is asked before any provider is. */
  private ensureRecordable(): void {
    const storage = this.deps.store.status();
    if (!storage.ok)
      throw new StorageError(
        storage.code ?? 'storage_unavailable',
        `the interview was not started because it could not be recorded: ${storage.reason}`,
      );
  }

  private plan(resolved: ResolvedInterview): SelectionPlan {
    const { healthReader, registry, tracer } = this.deps;
    return tracer.startActiveSpan('select model', { kind: SpanKind.INTERNAL }, (span) => {
      const plan = planSelection({
        primary: resolved.primary,
        callerFallbacks: resolved.callerFallbacks,
        simulationFallbacks: resolved.simulationFallbacks,
        registered: registry.all(),
        drained: this.deps.isDrained,
        health: (id) => {
          const s = healthReader.snapshot(id);
          return { state: s.state, reason: s.reason, p95Ms: s.latency.p95Ms };
        },
      });
      span.setAttributes({
        'modelwatch.primary': plan.primary.modelId,
        'modelwatch.primary.state': plan.primary.state,
        'modelwatch.primary.reason': plan.primary.reason,
        'modelwatch.primary.p95_ms': plan.primary.p95Ms ?? -1,
        'modelwatch.selection.reason': plan.reason ?? 'primary_usable',
        'modelwatch.selection.order': plan.order.map((c) => `${c.modelId}:${c.state}`),
      });
      span.end();
      return plan;
    });
  }

  private evidence(modelId: string): HealthEvidence {
    const s = this.deps.healthReader.snapshot(modelId);
    return {
      state: s.state,
      reason: s.reason,
      p95Ms: s.latency.p95Ms,
      errorRate: s.errorRate,
      samples: s.samples.total,
      consecutiveFailures: s.consecutiveFailures,
    };
  }

  private async attemptInOrder(
    plan: SelectionPlan,
    interviewId: string,
    interview: Record<string, unknown>,
    startedAt: number,
  ): Promise<AttemptsOutcome> {
    const { clock, settings } = this.deps;
    const attempts: AttemptRecord[] = [];
    // Below this, an attempt cannot fairly judge a model: stop rather than charge it a timeout.
    const minAttemptMs = Math.min(settings.attemptTimeoutMs, MIN_ATTEMPT_MS);
    for (const candidate of plan.order.slice(0, MAX_ATTEMPTS)) {
      const remaining = startedAt + settings.deadlineMs - clock();
      // The agent gets a little less than what is left, so its own timeout answers before ours cuts the line.
      const agentTimeoutMs = Math.min(settings.attemptTimeoutMs, remaining - AGENT_ANSWER_MARGIN_MS);
      if (agentTimeoutMs < minAttemptMs) break;
      const result = await this.attempt(candidate, interviewId, interview, agentTimeoutMs, remaining);
      attempts.push({ modelId: candidate.modelId, source: candidate.source, ...measurementOf(result) });
      if (result.outcome === 'success') return { chosen: candidate, attempts, result };
    }
    return { chosen: null, attempts, result: null };
  }

  /** One initiation call; its outcome feeds the health engine at once, failure or not (a refusal is no sample). */
  private attempt(
    candidate: Candidate,
    interviewId: string,
    interview: Record<string, unknown>,
    timeoutMs: number,
    transportMs: number,
  ): Promise<AgentCallResult | Refusal> {
    const { registry, agent, recorder, tracer, clock, settings } = this.deps;
    const sentAt = clock();
    const model = registry.get(candidate.modelId);
    if (!model) return Promise.resolve(removedResult());
    return tracer.startActiveSpan(`attempt ${candidate.modelId}`, { kind: SpanKind.CLIENT }, async (span) => {
      span.setAttributes({
        'modelwatch.model': candidate.modelId,
        'modelwatch.source': candidate.source,
        'modelwatch.state': candidate.state,
      });
      try {
        const request = {
          interviewId,
          modelId: model.id,
          provider: model.provider,
          model: model.model,
          timeoutMs,
          maxTokens: settings.maxTokens,
          interview,
        };
        const result = await agent.initiateInterview(request, transportMs);
        // A timeout on a budget the deadline cut short says nothing about the model.
        const truncated = result.outcome === 'timeout' && timeoutMs < settings.attemptTimeoutMs;
        if (!truncated) recorder.recordSample(model.id, { at: clock(), source: 'interview', ...measurementOf(result) });
        span.setAttribute('modelwatch.outcome', result.outcome);
        if (result.outcome !== 'success') span.setStatus({ code: SpanStatusCode.ERROR, message: result.outcome });
        return result;
      } catch (err) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: String(err) });
        if (err instanceof AgentRejectedError) {
          // This model's configuration is refused by the agent: no health sample, try the next candidate.
          this.deps.logger.error(
            { event: 'agent_rejected', model: model.id, detail: err.detail },
            "the agent refused a call: check this model's configuration",
          );
          return {
            outcome: 'agent_refused' as const,
            latencyMs: clock() - sentAt,
            ttftMs: null,
            httpStatus: null,
            errorMessage: 'the agent refused the request for this model; see the service log',
          };
        }
        if (err instanceof AgentUnavailableError) {
          this.deps.logger.error({ event: 'agent_unavailable', detail: err.detail }, 'the agent did not answer');
          throw new AppError(503, 'agent_unavailable', 'the agent that makes LLM calls is unavailable; retry shortly', {
            retryable: true,
          });
        }
        throw err;
      } finally {
        span.end();
      }
    });
  }

  private report(record: InterviewRecord, event: FallbackEvent | null, durationMs: number): void {
    const { metrics, logger } = this.deps;
    metrics.observeStart(record.requestedModel, record.model, 'started', durationMs, record.traceId);
    if (!event) return;
    metrics.countFallback(event.primary, event.chosen, event.reason, event.source);
    this.deps.events?.publish('fallback', event);
    trace.getActiveSpan()?.addEvent('modelwatch.fallback', {
      'modelwatch.fallback.id': event.id,
      'modelwatch.fallback.reason': event.reason,
      'modelwatch.fallback.source': event.source,
      'modelwatch.primary': event.primary,
      'modelwatch.chosen': event.chosen,
      'modelwatch.primary.state': event.primaryHealth.state,
    });
    logger.info(
      {
        event: 'fallback',
        fallbackId: event.id,
        interviewId: record.interviewId,
        primary: event.primary,
        chosen: event.chosen,
        reason: event.reason,
        source: event.source,
      },
      `fallback ${event.primary} -> ${event.chosen}`,
    );
  }
}

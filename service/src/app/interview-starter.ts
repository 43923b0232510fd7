import { randomUUID } from 'node:crypto';
import { SpanKind, trace, type Tracer } from '@opentelemetry/api';
import type { AgentCallResult, AgentClient } from '../agent/agent-client.js';
import type { HealthReader } from '../domain/health/index.js';
import type { ModelRegistry } from '../domain/model-registry.js';
import { planSelection, type Candidate, type SelectionPlan } from '../domain/selection.js';
import type {
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
import { runHedged } from './hedged-attempts.js';
import type { StartAdmission } from './start-admission.js';
import { attemptInterview, attemptRecord } from './interview-attempt.js';
import { settleWithin } from './settle-within.js';
import { buildStartRecords } from './start-records.js';
import { idempotencyKeyReused, requestFingerprint } from './request-fingerprint.js';
import { resolveInterview, type InterviewRequest, type ResolvedInterview } from './interview-request.js';

export { MAX_ATTEMPTS } from './hedged-attempts.js';
const AGENT_ANSWER_MARGIN_MS = 250;
const MIN_ATTEMPT_MS = 1_000;

export interface StarterSettings {
  deadlineMs: number;
  attemptTimeoutMs: number;
  maxTokens: number;
}

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
  settings: StarterSettings;
  /** Operator drains: drained models are the last resort (domain/selection.ts). */
  isDrained?: (modelId: string) => boolean;
  events?: EventHub;
  /** Back-pressure: starts beyond its limits are refused at once (503 overloaded); none when left out. */
  admission?: StartAdmission;
  /** Counts starts refused with 503 overloaded (the agent's refusals; the admission counts its own). */
  onRefused?: (reason: 'agent_overloaded') => void;
}

export interface StartResult {
  record: InterviewRecord;
  event: FallbackEvent | null;
  replayed: boolean;
}

interface AttemptsOutcome {
  chosen: Candidate | null;
  attempts: AttemptRecord[];
  result: AgentCallResult | null;
  /** The primary was abandoned, still silent, when a hedged attempt won. */
  primaryCancelled: boolean;
}

/** Starts interviews on the best model available and keeps the audit record of why. */
export class InterviewStarter {
  private readonly pending = new Map<string, { fingerprint: string; started: Promise<StartResult> }>();
  private readonly inFlight = new Set<Promise<StartResult>>();

  constructor(private deps: InterviewStarterDeps) {}

  /** New settings (a reload) for the attempts made from now on. */
  configure(settings: StarterSettings): void {
    this.deps = { ...this.deps, settings };
  }

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
    // Refused at once when the limits are full: before any clock, store or agent work is spent on it.
    const release = this.deps.admission?.admit(resolved.primary) ?? (() => undefined);
    const startedAt = this.deps.clock();
    return this.run(resolved, idempotencyKey, startedAt)
      .catch((err: unknown) => this.failed(err, resolved, startedAt))
      .finally(release);
  }

  private failed(err: unknown, resolved: ResolvedInterview, startedAt: number): never {
    if (err instanceof AppError && err.code === 'overloaded') {
      // The monitor's own overload (the agent's here): a refusal, counted as such, not a start that failed.
      this.deps.onRefused?.('agent_overloaded');
      throw err;
    }
    // Whatever went wrong after the request was accepted, the interview did not start: count it for the SLO.
    this.deps.metrics.observeStart(
      resolved.primary,
      null,
      'unavailable',
      this.deps.clock() - startedAt,
      currentTraceId(),
    );
    throw err;
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
      primaryCancelled: outcome.primaryCancelled,
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
    // Not made the active span: nothing runs inside it (the selection is pure), so no context switch is needed.
    const span = tracer.startSpan('select model', { kind: SpanKind.INTERNAL });
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

  /** Hedged attempts in plan order (hedged-attempts.ts); every attempt is in the record. */
  private async attemptInOrder(
    plan: SelectionPlan,
    interviewId: string,
    interview: Record<string, unknown>,
    startedAt: number,
  ): Promise<AttemptsOutcome> {
    const { clock, settings, healthReader } = this.deps;
    const limits = {
      startedAt,
      deadlineMs: settings.deadlineMs,
      attemptTimeoutMs: settings.attemptTimeoutMs,
      minAttemptMs: Math.min(settings.attemptTimeoutMs, MIN_ATTEMPT_MS),
      answerMarginMs: AGENT_ANSWER_MARGIN_MS,
    };
    let attemptNumber = 0;
    const { winner, runs } = await runHedged(
      plan.order,
      limits,
      (candidate, budget, hooks) => {
        attemptNumber += 1;
        const call = { candidate, interviewId, interview, callId: `${interviewId}#${attemptNumber}` };
        return attemptInterview(this.deps, call, budget, hooks);
      },
      { clock, hedgeDelayMs: (id) => healthReader.snapshot(id).hedgeDelayMs },
    );
    return {
      chosen: winner?.candidate ?? null,
      attempts: runs.map(attemptRecord),
      result: winner?.result && winner.result.outcome !== 'agent_refused' ? winner.result : null,
      primaryCancelled: runs.some((r) => r.candidate.modelId === plan.primary.modelId && r.result === null),
    };
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

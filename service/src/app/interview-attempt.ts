import { SpanKind, SpanStatusCode, type Tracer } from '@opentelemetry/api';
import {
  AgentOverloadedError,
  AgentRejectedError,
  AgentUnavailableError,
  measurementOf,
  RECHECK_MS,
  RequestFaultError,
  type AgentCallResult,
  type AgentClient,
} from '../agent/agent-client.js';
import type { ModelRegistry } from '../domain/model-registry.js';
import type { Candidate } from '../domain/selection.js';
import { ATTEMPT_CANCELLED, type AttemptMeasurement, type AttemptRecord } from '../store/records.js';
import type { Logger } from '../telemetry/logger.js';
import { AppError } from './app-error.js';
import { overloaded } from './start-admission.js';
import type { AttemptHooks, AttemptRun } from './hedged-attempts.js';
import type { HealthRecorder } from './health-recorder.js';

/** An attempt that was not made (the agent refused it, or a reload removed the model): nothing to judge. */
export type Refusal = AttemptMeasurement & { outcome: 'agent_refused' };

/** A candidate a config reload removed between the plan and its attempt: skipped, not judged. */
function removedResult(): Refusal {
  return {
    outcome: 'agent_refused',
    latencyMs: 0,
    ttftMs: null,
    httpStatus: null,
    errorMessage: 'the model was removed from the registry by a config reload; not attempted',
  };
}

export interface AttemptDeps {
  registry: ModelRegistry;
  agent: AgentClient;
  recorder: HealthRecorder;
  tracer: Tracer;
  logger: Logger;
  clock: () => number;
  settings: { attemptTimeoutMs: number; maxTokens: number };
}

/**
 * One streamed initiation call and what it tells the health engine: its start and first token at
 * once (in-flight evidence), its outcome when it ends, or a censored sample when a hedge won first.
 */
export async function attemptInterview(
  deps: AttemptDeps,
  call: { candidate: Candidate; interviewId: string; interview: Record<string, unknown>; callId: string },
  budget: { timeoutMs: number; transportMs: number },
  hooks: AttemptHooks,
): Promise<AgentCallResult | Refusal> {
  const { registry, agent, recorder: health, tracer, clock, settings } = deps;
  const model = registry.get(call.candidate.modelId);
  // A reload removed the model between the plan and this attempt: it is skipped like a refusal.
  if (!model) return removedResult();
  return tracer.startActiveSpan(`attempt ${model.id}`, { kind: SpanKind.CLIENT }, async (span) => {
    span.setAttributes({
      'modelwatch.model': model.id,
      'modelwatch.source': call.candidate.source,
      'modelwatch.state': call.candidate.state,
    });
    const startedAt = clock();
    // The model's first-token clock starts when the agent takes the call on, not when it is sent: until
    // then the call waits on the agent (its queue, a pause, a cold start), which says nothing of the model.
    let takenOnAt: number | null = null;
    let firstToken = false;
    try {
      const request = {
        interviewId: call.interviewId,
        modelId: model.id,
        provider: model.provider,
        model: model.model,
        timeoutMs: budget.timeoutMs,
        maxTokens: settings.maxTokens,
        interview: call.interview,
      };
      const result = await agent.streamInterview(request, budget.transportMs, {
        signal: hooks.signal,
        onTakenOn: () => {
          takenOnAt = clock();
          health.callStarted(model.id, call.callId, takenOnAt);
          hooks.onTakenOn();
        },
        onFirstToken: (ttftMs) => {
          firstToken = true;
          health.callFirstToken(model.id, call.callId, ttftMs);
          hooks.onFirstToken(ttftMs);
        },
      });
      if (result.requestFault != null) throw new RequestFaultError(result.requestFault, result.errorMessage ?? '');
      // A timeout on a budget the deadline cut short says nothing about the model.
      const truncated = result.outcome === 'timeout' && budget.timeoutMs < settings.attemptTimeoutMs;
      if (truncated) health.callForgotten(model.id, call.callId);
      else
        health.recordSample(model.id, {
          at: clock(),
          startedAt: takenOnAt ?? startedAt,
          callId: call.callId,
          source: 'interview',
          ...measurementOf(result),
        });
      span.setAttribute('modelwatch.outcome', result.outcome);
      if (result.outcome !== 'success') span.setStatus({ code: SpanStatusCode.ERROR, message: result.outcome });
      return result;
    } catch (err) {
      if (hooks.signal.aborted) {
        // A hedge won: the call is abandoned down to the provider. No first token yet: "≥ elapsed" since
        // the agent took it on; never taken on, it says nothing of the model.
        if (firstToken || takenOnAt === null) health.callForgotten(model.id, call.callId);
        else health.callCensored(model.id, call.callId, takenOnAt, clock() - takenOnAt);
        span.setAttribute('modelwatch.outcome', ATTEMPT_CANCELLED);
        throw err;
      }
      health.callForgotten(model.id, call.callId);
      span.setStatus({ code: SpanStatusCode.ERROR, message: String(err) });
      return refusedOrThrow(deps, model.id, err, clock() - startedAt);
    } finally {
      span.end();
    }
  });
}

/** A refusal of this model's configuration is an attempt that failed; anything else ends the start. */
function refusedOrThrow(deps: AttemptDeps, modelId: string, err: unknown, elapsedMs: number): Refusal {
  if (err instanceof AgentRejectedError) {
    deps.logger.error(
      { event: 'agent_rejected', model: modelId, detail: err.detail },
      "the agent refused a call: check this model's configuration",
    );
    return {
      outcome: 'agent_refused',
      latencyMs: elapsedMs,
      ttftMs: null,
      httpStatus: null,
      errorMessage: 'the agent refused the request for this model; see the service log',
    };
  }
  if (err instanceof RequestFaultError) {
    throw new AppError(422, 'invalid_request', `${err.field}: ${err.problem}`, {
      field: err.field,
      fields: [{ field: err.field, problem: err.problem }],
    });
  }
  if (err instanceof AgentOverloadedError) {
    // The agent's own saturation: passed on as a fast 503, never judged against the model.
    throw overloaded(
      `the agent that makes LLM calls is overloaded; retry after ${err.retryAfterSeconds} s`,
      err.retryAfterSeconds,
      { reason: 'agent_overloaded' },
    );
  }
  if (err instanceof AgentUnavailableError) {
    deps.logger.error({ event: 'agent_unavailable', detail: err.detail }, 'the agent did not answer');
    // Retry-After: the client re-checks a down agent after RECHECK_MS, so that is when a retry can succeed.
    throw new AppError(503, 'agent_unavailable', 'the agent that makes LLM calls is unavailable; retry shortly', {
      retryable: true,
      retryAfterSeconds: Math.ceil(RECHECK_MS / 1000),
    });
  }
  throw err;
}

/** The audit record of a run: its result, or `cancelled` with the time it ran when a hedge won. */
export function attemptRecord(run: AttemptRun): AttemptRecord {
  const { candidate, result } = run;
  if (result === null) {
    const endedAt = run.cancelledAt ?? run.startedAt;
    return {
      modelId: candidate.modelId,
      source: candidate.source,
      outcome: ATTEMPT_CANCELLED,
      latencyMs: endedAt - run.startedAt,
      ttftMs: run.firstTokenAt === null ? null : run.firstTokenAt - run.startedAt,
      httpStatus: null,
      errorMessage:
        run.firstTokenAt === null
          ? `no first token after ${endedAt - run.startedAt} ms; abandoned when another model answered`
          : 'abandoned when another model answered first',
    };
  }
  return { modelId: candidate.modelId, source: candidate.source, ...measurementOf(result) };
}

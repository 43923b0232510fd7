import { randomUUID } from 'node:crypto';
import type { AgentCallResult } from '../agent/agent-client.js';
import { fallbackReason, type Candidate, type SelectionPlan } from '../domain/selection.js';
import type { AttemptRecord, FallbackEvent, HealthEvidence, InterviewRecord } from '../store/records.js';
import { currentTraceId } from '../telemetry/tracing.js';
import type { ResolvedInterview } from './interview-request.js';

export interface StartedInterview {
  resolved: ResolvedInterview;
  plan: SelectionPlan;
  /** The candidate that served, and its answer. */
  chosen: Candidate;
  result: AgentCallResult;
  attempts: AttemptRecord[];
  /** The primary was abandoned, still silent, when a hedged attempt won. */
  primaryCancelled: boolean;
  /** The primary's health when the start began. */
  evidence: HealthEvidence;
  interviewId: string;
  startedAt: number;
  durationMs: number;
}

/** The audit records of a start that succeeded: the interview, and the fallback event when there was one. */
export function buildStartRecords(started: StartedInterview): { record: InterviewRecord; event: FallbackEvent | null } {
  const { resolved, chosen, result, attempts, interviewId } = started;
  const at = new Date(started.startedAt).toISOString();
  const traceId = currentTraceId();
  const reason = fallbackReason(started.plan, {
    servedBy: chosen.modelId,
    primaryTried: attempts.some((a) => a.source === 'primary'),
    primaryCancelled: started.primaryCancelled,
  });
  const event: FallbackEvent | null = reason
    ? {
        id: `fb_${randomUUID()}`,
        at,
        simulationId: resolved.simulationId,
        interviewId,
        primary: resolved.primary,
        chosen: chosen.modelId,
        reason,
        source: chosen.source,
        primaryHealth: started.evidence,
        attempts,
        traceId,
      }
    : null;
  const record: InterviewRecord = {
    interviewId,
    at,
    simulationId: resolved.simulationId,
    requestedModel: resolved.primary,
    model: chosen.modelId,
    usedFallback: chosen.modelId !== resolved.primary,
    fallback: event ? { reason: event.reason, source: event.source, eventId: event.id } : null,
    primaryTriedAnyway: reason === 'no_healthy_model',
    attempts,
    openingLine: result.text ?? '',
    usage: result.usage,
    latencyMs: started.durationMs,
    traceId,
  };
  return { record, event };
}

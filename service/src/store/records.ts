import type { HealthState, Outcome } from '../domain/health/index.js';
import type { CandidateSource, FallbackReason, FallbackSource } from '../domain/selection.js';

/** What the store keeps: the audit records users read through the API. Times are ISO strings. */

/** `cancelled`: the attempt was abandoned because another one won (a hedged start). */
export const ATTEMPT_CANCELLED = 'cancelled';

export interface AttemptRecord {
  modelId: string;
  source: CandidateSource;
  outcome: Outcome | typeof ATTEMPT_CANCELLED;
  latencyMs: number;
  ttftMs: number | null;
  httpStatus: number | null;
  errorMessage: string | null;
}

export interface HealthEvidence {
  state: HealthState;
  reason: string;
  p95Ms: number | null;
  errorRate: number | null;
  samples: number;
  consecutiveFailures: number;
}

export interface FallbackEvent {
  id: string;
  at: string;
  simulationId: string | null;
  interviewId: string;
  primary: string;
  chosen: string;
  reason: FallbackReason;
  source: FallbackSource | 'primary';
  primaryHealth: HealthEvidence;
  attempts: AttemptRecord[];
  traceId: string | null;
}

export interface InterviewRecord {
  interviewId: string;
  at: string;
  simulationId: string | null;
  requestedModel: string;
  model: string;
  usedFallback: boolean;
  fallback: { reason: FallbackReason; source: FallbackSource | 'primary'; eventId: string } | null;
  primaryTriedAnyway: boolean;
  attempts: AttemptRecord[];
  openingLine: string;
  usage: { inputTokens: number; outputTokens: number } | null;
  latencyMs: number;
  traceId: string | null;
}

export interface SimulationRecord {
  id: string;
  primary: string;
  fallbacks: string[];
  interview: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

export interface TransitionRecord {
  modelId: string;
  at: string;
  from: HealthState;
  to: HealthState;
  reason: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface FallbackFilter {
  model?: string;
  simulationId?: string;
  reason?: FallbackReason;
  since?: string;
  until?: string;
  limit: number;
  cursor?: string;
}

/** The store behind the service: SQLite by default; an interface so another can stand in. */
export interface Store {
  /** Writes the interview and its fallback event in one transaction; false if the idempotency key was taken. */
  recordInterview(interview: InterviewRecord, event: FallbackEvent | null, idempotencyKey: string | null): boolean;
  getInterview(id: string): InterviewRecord | null;
  getInterviewByIdempotencyKey(key: string): InterviewRecord | null;
  getFallbackEvent(id: string): FallbackEvent | null;
  listFallbackEvents(filter: FallbackFilter): Page<FallbackEvent>;
  recordTransition(t: TransitionRecord): void;
  listTransitions(modelId: string, limit: number, cursor?: string): Page<TransitionRecord>;
  putSimulation(
    sim: Omit<SimulationRecord, 'createdAt' | 'updatedAt'>,
    now: string,
  ): { record: SimulationRecord; created: boolean };
  getSimulation(id: string): SimulationRecord | null;
  listSimulations(): SimulationRecord[];
  deleteSimulation(id: string): boolean;
  /** Each model's health as the engine last saved it (domain/health/persisted.ts): one row per model, replaced. */
  saveHealthState(modelId: string, savedAt: string, body: string): void;
  loadHealthStates(): Array<{ modelId: string; savedAt: string; body: string }>;
  close(): void;
}

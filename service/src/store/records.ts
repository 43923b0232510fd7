import { OUTCOMES, type HealthState } from '../domain/health/index.js';
import type { CandidateSource, FallbackReason, FallbackSource } from '../domain/selection.js';
import type { StorageStatus } from './storage-errors.js';

/** What the store keeps: the audit records users read through the API. Times are ISO strings. */

/** `cancelled`: the attempt was abandoned because another one won (a hedged start). */
export const ATTEMPT_CANCELLED = 'cancelled';
/** How an attempt ended: a provider outcome, `agent_refused` when the agent refused to make the call, or `cancelled`. */
export const ATTEMPT_OUTCOMES = [...OUTCOMES, 'agent_refused', ATTEMPT_CANCELLED] as const;
export type AttemptOutcome = (typeof ATTEMPT_OUTCOMES)[number];

/** What one attempt measured. A refusal has no provider figures: its latency is the exchange with the agent. */
export interface AttemptMeasurement {
  outcome: AttemptOutcome;
  latencyMs: number;
  ttftMs: number | null;
  httpStatus: number | null;
  errorMessage: string | null;
}

export interface AttemptRecord extends AttemptMeasurement {
  modelId: string;
  source: CandidateSource;
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

/** An Idempotency-Key and the fingerprint of the request it came with. */
export interface IdempotencyKey {
  key: string;
  fingerprint: string;
}

/** The interview an idempotency key started, and the fingerprint of its request (null if stored before fingerprints). */
export interface IdempotentStart {
  record: InterviewRecord;
  fingerprint: string | null;
}

export interface FallbackFilter {
  model?: string;
  simulationId?: string;
  reason?: FallbackReason;
  /** Instants in epoch milliseconds: since inclusive, until exclusive. */
  sinceMs?: number;
  untilMs?: number;
  limit: number;
  cursor?: string;
}

/** The store behind the service: SQLite by default; an interface so another can stand in. */
export interface Store {
  /**
   * Writes the interview and its fallback event in one transaction; false if the idempotency key was
   * taken. Rejects with a StorageError (busy after a bounded retry off the event loop, or unavailable).
   */
  recordInterview(
    interview: InterviewRecord,
    event: FallbackEvent | null,
    idempotencyKey: IdempotencyKey | null,
  ): Promise<boolean>;
  getInterview(id: string): InterviewRecord | null;
  getInterviewByIdempotencyKey(key: string): IdempotentStart | null;
  getFallbackEvent(id: string): FallbackEvent | null;
  listFallbackEvents(filter: FallbackFilter): Page<FallbackEvent>;
  /** Never throws or waits: what cannot be written now is kept in order and written when it can. */
  recordTransition(t: TransitionRecord): void;
  listTransitions(modelId: string, limit: number, cursor?: string): Page<TransitionRecord>;
  putSimulation(
    sim: Omit<SimulationRecord, 'createdAt' | 'updatedAt'>,
    now: string,
  ): Promise<{ record: SimulationRecord; created: boolean }>;
  getSimulation(id: string): SimulationRecord | null;
  listSimulations(limit: number, cursor?: string): Page<SimulationRecord>;
  deleteSimulation(id: string): Promise<boolean>;
  /** Whether a write would be recorded now; cheap, and never waits on a lock. */
  status(): StorageStatus;
  /** Each model's health as the engine last saved it (domain/health/persisted.ts): one row per model, replaced. */
  saveHealthState(modelId: string, savedAt: string, body: string): void;
  loadHealthStates(): Array<{ modelId: string; savedAt: string; body: string }>;
  close(): void;
}

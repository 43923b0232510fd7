import type { RefusalReason } from '../telemetry/admission-metrics.js';
import { AppError } from './app-error.js';
import type { HandoffGate } from './handoff-gate.js';

export interface AdmissionLimits {
  /** Starts in flight in this process, every model together (interviews.maxInFlight). */
  maxInFlight: number;
  /** Starts in flight per requested primary model (interviews.maxInFlightPerModel). */
  maxInFlightPerModel: number;
  /** What Retry-After tells a refused caller (interviews.retryAfterSeconds). */
  retryAfterSeconds: number;
}

export type Admission =
  | { admitted: true; release: () => void }
  | { admitted: false; reason: Exclude<RefusalReason, 'agent_overloaded'>; limit: string; value: number };

const WHAT: Record<Exclude<RefusalReason, 'agent_overloaded'>, (modelId: string) => string> = {
  service_limit: () => 'too many starts in flight',
  model_limit: (modelId) => `too many starts of ${modelId} in flight`,
  handoff_delay: () => 'calls wait to be taken on by the agent',
};

/**
 * Back-pressure for starts: a bounded number in flight, overall and per requested model, and no wait
 * queue. A start beyond either limit is refused at once (503 + Retry-After) instead of queueing
 * behind the others: a queue would turn overload into seconds of latency and timeouts. The limits cap
 * how many starts wait; the gate (handoff-gate.ts), when given, caps how long: while calls wait longer
 * than its target to be taken on, starts are refused too. Probes do not pass through here, so starts
 * can never starve them.
 */
export class StartAdmission {
  private total = 0;
  private readonly perModel = new Map<string, number>();

  constructor(
    private limits: AdmissionLimits,
    private readonly onRefused: (reason: RefusalReason) => void = () => {},
    private readonly gate: Pick<HandoffGate, 'queueMs' | 'settings'> | null = null,
  ) {}

  /** New limits (a reload): starts in flight keep their slots; new ones are admitted against these. */
  configure(limits: AdmissionLimits): void {
    this.limits = limits;
  }

  /** A slot (release it exactly once when the start has answered), or the limit that is full. */
  tryAdmit(modelId: string): Admission {
    const { maxInFlight, maxInFlightPerModel } = this.limits;
    const forModel = this.perModel.get(modelId) ?? 0;
    if (this.total >= maxInFlight)
      return { admitted: false, reason: 'service_limit', limit: 'interviews.maxInFlight', value: maxInFlight };
    if (forModel >= maxInFlightPerModel)
      return {
        admitted: false,
        reason: 'model_limit',
        limit: 'interviews.maxInFlightPerModel',
        value: maxInFlightPerModel,
      };
    if (this.gate?.queueMs() != null)
      return {
        admitted: false,
        reason: 'handoff_delay',
        limit: 'interviews.handoffTargetMs',
        value: this.gate.settings.targetMs,
      };
    this.total += 1;
    this.perModel.set(modelId, forModel + 1);
    let released = false;
    return {
      admitted: true,
      release: () => {
        if (released) return;
        released = true;
        this.total -= 1;
        const left = (this.perModel.get(modelId) ?? 1) - 1;
        if (left > 0) this.perModel.set(modelId, left);
        else this.perModel.delete(modelId);
      },
    };
  }

  /** The slot's release function; a full limit throws the 503 `overloaded` answer and counts the refusal. */
  admit(modelId: string): () => void {
    const admission = this.tryAdmit(modelId);
    if (admission.admitted) return admission.release;
    this.onRefused(admission.reason);
    throw overloaded(
      `${WHAT[admission.reason](modelId)} (${admission.limit} = ${admission.value}); retry after ${this.limits.retryAfterSeconds} s`,
      this.limits.retryAfterSeconds,
      { reason: admission.reason, limit: admission.limit },
    );
  }

  /** Starts in flight now, overall and for one model. */
  inFlight(modelId?: string): number {
    return modelId === undefined ? this.total : (this.perModel.get(modelId) ?? 0);
  }
}

/** The one shape of an overload answer: 503, code `overloaded`, retryable, with the Retry-After seconds. */
export function overloaded(message: string, retryAfterSeconds: number, details: Record<string, unknown>): AppError {
  return new AppError(503, 'overloaded', message, { retryable: true, retryAfterSeconds, ...details });
}

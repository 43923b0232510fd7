import { Counter, Gauge, type Registry } from 'prom-client';

/**
 * Why a start was refused at once: the service's own limit on starts in flight, the limit of the
 * requested model, calls waiting longer than the target to be taken on (app/handoff-gate.ts), or the
 * agent answering 503 overloaded.
 */
export const REFUSAL_REASONS = ['service_limit', 'model_limit', 'handoff_delay', 'agent_overloaded'] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

/**
 * modelwatch_interview_starts_refused_total{reason}: starts answered 503 `overloaded` at once. Its own counter,
 * not an outcome of modelwatch_interview_starts_total: the start was never taken on, and no model was judged.
 */
export interface AdmissionMetrics {
  refused: (reason: RefusalReason) => void;
  /** modelwatch_interview_starts_in_flight reads `read` at each scrape: nothing to keep in step. */
  readInFlight: (read: () => number) => void;
}

export function admissionMetrics(registry: Registry): AdmissionMetrics {
  const refused = new Counter<'reason'>({
    name: 'modelwatch_interview_starts_refused_total',
    help: 'Starts refused at once with 503 overloaded and Retry-After, by reason: service_limit (interviews.maxInFlight), model_limit (interviews.maxInFlightPerModel), handoff_delay (calls waited longer than interviews.handoffTargetMs to be taken on by the agent), agent_overloaded (the agent answered 503 overloaded).',
    labelNames: ['reason'],
    registers: [registry],
  });
  for (const reason of REFUSAL_REASONS) refused.inc({ reason }, 0);
  let read = (): number => 0;
  new Gauge({
    name: 'modelwatch_interview_starts_in_flight',
    help: 'Interview starts in flight in this process (limited by interviews.maxInFlight).',
    registers: [registry],
    collect() {
      this.set(read());
    },
  });
  return { refused: (reason) => refused.inc({ reason }), readInFlight: (r) => (read = r) };
}

import { z } from 'zod';

/** Building blocks of the OpenAPI document. */

export type Json = Record<string, unknown>;
export const schema = (t: z.ZodType, io: 'input' | 'output' = 'output'): Json =>
  z.toJSONSchema(t, { io, target: 'draft-2020-12', unrepresentable: 'any' });

export const ERROR_REF = { $ref: '#/components/schemas/Error' };
export const json = (body: Json) => ({ 'application/json': { schema: body } });
export const errors = (...codes: number[]): Json =>
  Object.fromEntries(
    codes.map((c) => [String(c), { description: ERROR_TEXT[c] ?? 'error', content: json(ERROR_REF) }]),
  );
const ERROR_TEXT: Record<number, string> = {
  400: 'Malformed JSON or a field that fails validation (details.fields names each)',
  401: 'Missing or wrong bearer token (only when MODELWATCH_API_TOKEN is set)',
  404: 'No such resource',
  413: 'Body over the configured limit',
  415: 'Body is not application/json',
  422: 'A model id that is not registered, or an Idempotency-Key reused with a different request',
  503: 'Not ready, shutting down, no model could start the interview (details lists every candidate), or the store cannot record it (storage_unavailable, storage_busy: retryable, with Retry-After)',
};
/** The start's 503: every reason above, plus back-pressure (`overloaded`), with Retry-After when retryable. */
export const startUnavailable: Json = {
  description:
    'Overloaded: too many starts in flight (interviews.maxInFlight, interviews.maxInFlightPerModel), calls waiting longer than interviews.handoffTargetMs for the agent, or the agent refused with 503 overloaded; answered at once, code `overloaded`, details.retryable true, details.reason (service_limit, model_limit, handoff_delay, agent_overloaded), details.retryAfterSeconds. Also: shutting down, no model could start the interview (details lists every candidate), the agent is unavailable, or the store cannot record it (storage_unavailable, storage_busy).',
  headers: {
    'Retry-After': {
      description: 'Seconds to wait before retrying (with overloaded, storage_unavailable and storage_busy)',
      schema: { type: 'integer', minimum: 1 },
    },
  },
  content: json(ERROR_REF),
};

export const ok = (description: string, body?: Json): Json =>
  body ? { description, content: json(body) } : { description };

export const bearer = [{ bearer: [] }];

import { z } from 'zod';
import type { Outcome } from '../domain/health/index.js';
import {
  agentSchemas,
  type SchemaInterviewResponse,
  type SchemaOutcome,
  type SchemaProbeResponse,
} from './contract.gen.js';

/**
 * The service's view of the agent contract. Every type and validator here comes from contract.gen.ts,
 * generated from the agent's own OpenAPI document (agent/contract/openapi.json, `make contract`).
 */

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
}

/**
 * What the agent measured for one LLM call; `text` comes with interview answers only. A token count the
 * provider did not report counts as 0, so every consumer (probe cost, records, metrics) sees numbers.
 */
export type AgentCallResult = Omit<SchemaInterviewResponse, 'text' | 'usage'> & {
  usage: TokenUsage | null;
  text?: string;
};

type MeasuredField = 'outcome' | 'latencyMs' | 'ttftMs' | 'httpStatus' | 'errorMessage';
/** The fields of one call that the health engine and the attempt records keep. */
export type Measurement = Pick<AgentCallResult, MeasuredField>;

/** The measured fields alone: keeps the opening line and usage out of samples and attempt records. */
export function measurementOf<T extends Pick<AgentCallResult, Exclude<MeasuredField, 'outcome'>> & { outcome: string }>(
  r: T,
): Pick<T, MeasuredField> {
  const { outcome, latencyMs, ttftMs, httpStatus, errorMessage } = r;
  return { outcome, latencyMs, ttftMs, httpStatus, errorMessage };
}

// The domain's closed set of outcomes must be the contract's: a change on either side fails the typecheck here.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
export type _OutcomesMatchContract = Assert<Same<Outcome, SchemaOutcome>>;

type SchemaName = keyof typeof agentSchemas;

/** A zod validator built from one of the contract's JSON schemas (with every schema it refers to). */
function validator(name: SchemaName): z.ZodType {
  const schemas = agentSchemas as unknown as Record<string, z.core.JSONSchema.JSONSchema>;
  return z.fromJSONSchema({ ...schemas[name], $defs: schemas });
}

const validators = { '/v1/probe': validator('ProbeResponse'), '/v1/interviews': validator('InterviewResponse') };
export type AgentCallPath = keyof typeof validators;

/** The agent's answer if it matches the contract, else a list of the fields that do not. */
export function parseCallResult(
  path: AgentCallPath,
  body: unknown,
): { ok: true; result: AgentCallResult } | { ok: false; problems: string } {
  const parsed = validators[path].safeParse(body);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ');
    return { ok: false, problems };
  }
  const answer = parsed.data as SchemaInterviewResponse | SchemaProbeResponse;
  const usage = answer.usage && {
    inputTokens: answer.usage.inputTokens ?? 0,
    outputTokens: answer.usage.outputTokens ?? 0,
  };
  return { ok: true, result: { ...answer, usage } };
}

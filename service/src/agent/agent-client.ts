import { context, propagation } from '@opentelemetry/api';
import { OUTCOMES, type Outcome } from '../domain/health/index.js';
import type { Endpoint } from '../domain/model-registry.js';

/** What the agent measured for one LLM call (docs/contracts.md). */
export interface AgentCallResult {
  outcome: Outcome;
  latencyMs: number;
  ttftMs: number | null;
  httpStatus: number | null;
  usage: { inputTokens: number; outputTokens: number } | null;
  requestId: string | null;
  responseModel: string | null;
  errorMessage: string | null;
  text?: string;
  /** The request field to blame when the call failed by the request's own fault (not the model's). */
  requestFault?: string;
}

export interface AgentCallTarget {
  modelId: string;
  endpoint: Endpoint;
  model: string;
  timeoutMs: number;
  maxTokens: number;
}

/** The agent itself did not answer: says nothing about the provider, so it is not a health sample. */
export class AgentUnavailableError extends Error {
  constructor(readonly detail: string) {
    super(`agent unavailable: ${detail}`);
    this.name = 'AgentUnavailableError';
  }
}

// The agent enforces each call's own timeout; this margin covers the hop to it and back.
const TRANSPORT_MARGIN_MS = 2_000;

/**
 * The request itself cannot be sent to any model (text no provider takes, context too long): the
 * caller's fault, answered 4xx naming the field; never a health sample, never a reason to fall back.
 */
export class RequestFaultError extends Error {
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${field}: ${problem}`);
    this.name = 'RequestFaultError';
  }
}

/** What a streamed interview call is told while it runs, and how it is cancelled. */
export interface StreamHooks {
  /** Aborting it closes the HTTP call to the agent, which stops the SDK stream at the provider. */
  signal: AbortSignal;
  onFirstToken: (ttftMs: number) => void;
}

/** The agent answered, but refused this request (HTTP 4xx): a configuration problem of this model, not an outage. */
export class AgentRejectedError extends Error {
  constructor(readonly detail: string) {
    super(`agent refused the request: ${detail}`);
    this.name = 'AgentRejectedError';
  }
}

const nonNegative = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const tokens = (v: unknown): number => (nonNegative(v) ? Math.round(v) : 0);

function parseUsage(u: unknown): AgentCallResult['usage'] {
  if (!u || typeof u !== 'object') return null;
  const usage = u as { inputTokens?: unknown; outputTokens?: unknown };
  return { inputTokens: tokens(usage.inputTokens), outputTokens: tokens(usage.outputTokens) };
}

/** Checks what the agent measured before it reaches the health engine: a bad figure is an agent fault. */
function parseResult(body: unknown): AgentCallResult {
  const b = body as Partial<AgentCallResult> | null;
  const valid =
    b &&
    typeof b === 'object' &&
    OUTCOMES.includes(b.outcome as Outcome) &&
    nonNegative(b.latencyMs) &&
    (b.ttftMs == null || nonNegative(b.ttftMs));
  if (!valid) throw new AgentUnavailableError('answered with a body that is not a valid call result');
  return {
    outcome: b.outcome as Outcome,
    latencyMs: b.latencyMs as number,
    ttftMs: nonNegative(b.ttftMs) ? b.ttftMs : null,
    httpStatus: typeof b.httpStatus === 'number' ? b.httpStatus : null,
    usage: parseUsage(b.usage),
    requestId: typeof b.requestId === 'string' ? b.requestId : null,
    responseModel: typeof b.responseModel === 'string' ? b.responseModel : null,
    errorMessage: typeof b.errorMessage === 'string' ? b.errorMessage : null,
    ...(typeof b.text === 'string' ? { text: b.text } : {}),
    ...(typeof b.requestFault === 'string' ? { requestFault: b.requestFault } : {}),
  };
}

/** The agent's 422 for input no provider can take: `{detail: [{loc: ['body', ...path], msg, type: 'request_error'}]}`. */
function requestFaultIn(text: string): RequestFaultError | null {
  try {
    const body = JSON.parse(text) as { detail?: Array<{ loc?: unknown[]; msg?: unknown; type?: unknown }> };
    const fault = body.detail?.find((d) => d.type === 'request_error');
    if (!fault || !Array.isArray(fault.loc)) return null;
    const field = fault.loc
      .slice(1)
      .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
      .join('')
      .replace(/^\./, '')
      .replace(/^interview/, 'config');
    return new RequestFaultError(field, typeof fault.msg === 'string' ? fault.msg : 'cannot be sent to any model');
  } catch {
    return null;
  }
}

export class AgentClient {
  private reachable: boolean | null = null;
  private lastProblem: string | null = null;

  constructor(
    private readonly baseUrl: string,
    private readonly onReachability: (up: boolean) => void = () => {},
  ) {}

  /** Whether the last exchange with the agent got an answer, and if not, why. */
  status(): { reachable: boolean | null; problem: string | null } {
    return { reachable: this.reachable, problem: this.lastProblem };
  }

  probe(target: AgentCallTarget): Promise<AgentCallResult> {
    return this.call('/v1/probe', target.timeoutMs + TRANSPORT_MARGIN_MS, {
      modelId: target.modelId,
      endpoint: target.endpoint,
      model: target.model,
      timeoutMs: target.timeoutMs,
      maxTokens: target.maxTokens,
    });
  }

  /** `transportMs` bounds the whole exchange, so a frozen agent cannot hold a start past its deadline. */
  initiateInterview(
    target: AgentCallTarget,
    interviewId: string,
    interview: Record<string, unknown>,
    transportMs?: number,
  ): Promise<AgentCallResult> {
    return this.call('/v1/interviews', transportMs ?? target.timeoutMs + TRANSPORT_MARGIN_MS, {
      interviewId,
      modelId: target.modelId,
      endpoint: target.endpoint,
      model: target.model,
      timeoutMs: target.timeoutMs,
      maxTokens: target.maxTokens,
      interview,
    });
  }

  /**
   * The interview call, streamed: `onFirstToken` is called when the first content arrives, the result
   * when the call ends. Aborting `hooks.signal` abandons the call all the way to the provider.
   */
  async streamInterview(
    target: AgentCallTarget,
    interviewId: string,
    interview: Record<string, unknown>,
    transportMs: number,
    hooks: StreamHooks,
  ): Promise<AgentCallResult> {
    const payload = {
      interviewId,
      modelId: target.modelId,
      endpoint: target.endpoint,
      model: target.model,
      timeoutMs: target.timeoutMs,
      maxTokens: target.maxTokens,
      interview,
    };
    const signal = AbortSignal.any([hooks.signal, AbortSignal.timeout(transportMs)]);
    const res = await this.send('/v1/interviews/stream', payload, signal);
    if (!res.ok) throw await this.refusal('/v1/interviews/stream', res);
    this.mark(true, null);
    try {
      return await readEvents(res, hooks.onFirstToken);
    } catch (err) {
      if (hooks.signal.aborted) throw err;
      throw new AgentUnavailableError(describeFetchError(err, this.baseUrl));
    }
  }

  /** Readiness: does the agent answer its health endpoint right now. */
  async checkReady(timeoutMs = 2_000): Promise<{ ready: boolean; reason: string }> {
    try {
      const res = await fetch(`${this.baseUrl}/healthz`, { signal: AbortSignal.timeout(timeoutMs) });
      await res.arrayBuffer();
      this.mark(res.ok, res.ok ? null : `healthz answered HTTP ${res.status}`);
      return res.ok
        ? { ready: true, reason: 'agent answers' }
        : { ready: false, reason: `agent /healthz answered HTTP ${res.status}` };
    } catch (err) {
      const detail = describeFetchError(err, this.baseUrl);
      this.mark(false, detail);
      return { ready: false, reason: `agent unavailable: ${detail}` };
    }
  }

  private async send(path: string, payload: unknown, signal: AbortSignal): Promise<Response> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    propagation.inject(context.active(), headers);
    try {
      return await fetch(`${this.baseUrl}${path}`, { method: 'POST', headers, body: JSON.stringify(payload), signal });
    } catch (err) {
      if (err instanceof Error && err.name === 'AbortError') throw err; // the caller gave up: not the agent's fault
      const detail = describeFetchError(err, this.baseUrl);
      this.mark(false, detail);
      throw new AgentUnavailableError(detail);
    }
  }

  /** The error for an agent answer that is not 2xx: a request fault, a refusal of this model, or the agent down. */
  private async refusal(path: string, res: Response): Promise<Error> {
    const text = await res.text().catch(() => '');
    this.mark(true, null);
    const fault = res.status === 422 ? requestFaultIn(text) : null;
    if (fault) return fault;
    const detail = `${path} answered HTTP ${res.status}: ${text.slice(0, 300)}`;
    return res.status < 500 ? new AgentRejectedError(detail) : new AgentUnavailableError(detail);
  }

  private async call(path: string, transportMs: number, payload: unknown): Promise<AgentCallResult> {
    const res = await this.send(path, payload, AbortSignal.timeout(transportMs));
    if (!res.ok) throw await this.refusal(path, res);
    const text = await res.text().catch(() => '');
    this.mark(true, null);
    try {
      return parseResult(JSON.parse(text));
    } catch (err) {
      if (err instanceof AgentUnavailableError) throw err;
      throw new AgentUnavailableError(`${path} answered a body that is not JSON`);
    }
  }

  private mark(up: boolean, problem: string | null): void {
    this.lastProblem = problem;
    if (this.reachable !== up) this.onReachability(up);
    this.reachable = up;
  }
}

/** Reads the agent's NDJSON events: first_token (told at once), then the result. */
async function readEvents(res: Response, onFirstToken: (ttftMs: number) => void): Promise<AgentCallResult> {
  if (!res.body) throw new Error('no body');
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const chunk of res.body) {
    buffered += decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      const event = JSON.parse(line) as { event?: string; ttftMs?: unknown };
      if (event.event === 'first_token' && nonNegative(event.ttftMs)) onFirstToken(event.ttftMs);
      if (event.event === 'result') return parseResult(event);
    }
  }
  throw new Error('the stream ended without a result');
}

function describeFetchError(err: unknown, baseUrl: string): string {
  const e = err as { name?: string; cause?: { code?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return `no answer from ${baseUrl} in time`;
  const code = e.cause?.code;
  return code ? `${code} connecting to ${baseUrl}` : `cannot reach ${baseUrl}`;
}

import { context, propagation } from '@opentelemetry/api';
import type { SchemaInterviewRequest, SchemaProbeRequest } from './contract.gen.js';
import { AgentTransport, type AgentResponse } from './agent-transport.js';
import { parseCallResult, type AgentCallPath, type AgentCallResult } from './contract.js';

export type { AgentCallResult, Measurement, TokenUsage } from './contract.js';
export { measurementOf } from './contract.js';

/** The agent itself did not answer: says nothing about the provider, so it is not a health sample. */
export class AgentUnavailableError extends Error {
  constructor(readonly detail: string) {
    super(`agent unavailable: ${detail}`);
    this.name = 'AgentUnavailableError';
  }
}

/**
 * The agent is saturated and said so (HTTP 503 with {"error": "overloaded"} and Retry-After): the monitor's
 * own overload, never a provider's fault, so never a health sample. A kind of unavailability, so every
 * path that already keeps an unreachable agent out of the health engine keeps this out too.
 */
export class AgentOverloadedError extends AgentUnavailableError {
  constructor(
    detail: string,
    readonly retryAfterSeconds: number,
  ) {
    super(detail);
    this.name = 'AgentOverloadedError';
  }
}

/** The agent answered, but refused this request (HTTP 4xx): a configuration problem of this model, not an outage. */
export class AgentRejectedError extends Error {
  constructor(readonly detail: string) {
    super(`agent refused the request: ${detail}`);
    this.name = 'AgentRejectedError';
  }
}

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
  /** The agent has taken the call on (its response headers): from here on, the wait is the provider's. */
  onTakenOn?: () => void;
  onFirstToken: (ttftMs: number) => void;
}

/** What the client tells its owner as calls go. */
export interface AgentObservers {
  /** The agent became reachable (true) or not (false). */
  onReachability?: (up: boolean) => void;
  /**
   * A streamed call is sent; `end(true)` when the agent has taken it on (its response headers, which it
   * sends once it has admitted the call, before calling the provider), `end(false)` when it failed. The
   * time between holds no provider time, only waiting (this event loop, the agent's, the CPU): the
   * signal of app/handoff-gate.ts.
   */
  handoff?: () => { end: (takenOn: boolean) => void };
}

// The agent enforces each call's own timeout; this margin covers the hop to it and back.
const TRANSPORT_MARGIN_MS = 2_000;
// Once the agent is known unreachable, a call first re-checks it for at most this long instead of waiting
// out its whole deadline: a frozen agent fails starts in about a second.
export const RECHECK_MS = 1_000;

export class AgentClient {
  private reachable: boolean | null = null;
  private recheck: Promise<{ ready: boolean; reason: string }> | null = null;
  // When the last failed health check ended, and how long its verdict stands before a call re-checks.
  private downSince = 0;
  private downVerdictMs = RECHECK_MS;
  private readonly authorization: string;
  private readonly transport: AgentTransport;

  /** `token` is the shared secret the agent requires on every call (MODELWATCH_AGENT_TOKEN). */
  constructor(
    private readonly baseUrl: string,
    token: string,
    private readonly observers: AgentObservers = {},
  ) {
    this.authorization = `Bearer ${token}`;
    this.transport = new AgentTransport(baseUrl);
  }

  probe(request: SchemaProbeRequest & { timeoutMs: number }): Promise<AgentCallResult> {
    return this.call('/v1/probe', request.timeoutMs + TRANSPORT_MARGIN_MS, request);
  }

  /** `transportMs` bounds the whole exchange, so a frozen agent cannot hold a start past its deadline. */
  initiateInterview(
    request: SchemaInterviewRequest & { timeoutMs: number },
    transportMs?: number,
  ): Promise<AgentCallResult> {
    return this.call('/v1/interviews', transportMs ?? request.timeoutMs + TRANSPORT_MARGIN_MS, request);
  }

  /**
   * The interview call, streamed: `onFirstToken` is called when the first content arrives, the result
   * when the call ends. Aborting `hooks.signal` abandons the call all the way to the provider.
   */
  async streamInterview(
    request: SchemaInterviewRequest & { timeoutMs: number },
    transportMs: number,
    hooks: StreamHooks,
  ): Promise<AgentCallResult> {
    const handoff = this.observers.handoff?.();
    let res: AgentResponse;
    try {
      res = await this.send('/v1/interviews/stream', transportMs, request, hooks.signal);
    } catch (err) {
      handoff?.end(false);
      throw err;
    }
    handoff?.end(true);
    hooks.onTakenOn?.();
    try {
      return await readEvents(res, hooks.onFirstToken);
    } catch (err) {
      if (hooks.signal.aborted) throw err;
      if (err instanceof AgentUnavailableError) throw err;
      throw new AgentUnavailableError(describeFetchError(err, this.baseUrl));
    }
  }

  /** Readiness: does the agent answer its health endpoint right now. */
  async checkReady(timeoutMs = 2_000): Promise<{ ready: boolean; reason: string }> {
    try {
      // With the token, so a token the agent does not share shows here rather than on the first call.
      const res = await this.transport.request({
        path: '/healthz',
        headers: { authorization: this.authorization },
        timeoutMs,
      });
      await res.text();
      if (res.status < 200 || res.status > 299)
        return this.checkedDown(`agent /healthz answered HTTP ${res.status}${hintFor(res.status)}`);
      this.mark(true);
      return { ready: true, reason: 'agent answers' };
    } catch (err) {
      return this.checkedDown(`agent unavailable: ${describeFetchError(err, this.baseUrl)}`);
    }
  }

  /**
   * A liveness check runs every `periodMs` (agent-liveness.ts): a down verdict stands until the next one,
   * so a call fails at once instead of re-checking itself.
   */
  checkedEvery(periodMs: number): void {
    this.downVerdictMs = Math.max(RECHECK_MS, periodMs);
  }

  /**
   * The health check failed: the agent is known down. Calls already waiting on it end now (503 at once
   * rather than at their deadlines): their connections close, and a resumed agent drops a call whose caller
   * hung up before calling a provider (agent/hang_up.py). A call's own timeout never does this, as a slow
   * provider is not a down agent.
   */
  private checkedDown(reason: string): { ready: false; reason: string } {
    this.mark(false);
    this.downSince = Date.now();
    this.transport.abandonAll(`the agent stopped answering its health check (${reason})`);
    return { ready: false, reason };
  }

  /** Known down: one short health check (shared by concurrent calls) decides, instead of each call's deadline. */
  private async ensureReachable(): Promise<void> {
    if (this.reachable !== false) return;
    if (Date.now() - this.downSince < this.downVerdictMs)
      throw new AgentUnavailableError('known unreachable: its last health check failed');
    this.recheck ??= this.checkReady(RECHECK_MS).finally(() => (this.recheck = null));
    const { ready, reason } = await this.recheck;
    if (!ready) throw new AgentUnavailableError(`still unreachable (${reason})`);
  }

  /** Sends one call with its deadline; answers the 2xx response or throws what a refusal or an outage means. */
  private async send(path: string, transportMs: number, payload: object, signal?: AbortSignal): Promise<AgentResponse> {
    // Wall-clock time (not an injected clock): the agent compares the deadline with its own clock, same host.
    const calledAt = Date.now();
    await this.ensureReachable();
    // The re-check spends part of the caller's budget: the call gets only what is left of it.
    const deadlineAt = calledAt + transportMs;
    const headers: Record<string, string> = { 'content-type': 'application/json', authorization: this.authorization };
    propagation.inject(context.active(), headers);
    let res: AgentResponse;
    try {
      const body = JSON.stringify({ ...payload, deadlineAt });
      res = await this.transport.request({
        path,
        headers,
        body,
        timeoutMs: Math.max(1, deadlineAt - Date.now()),
        signal,
      });
    } catch (err) {
      if (signal?.aborted) throw err; // the caller gave up (a hedge won): not the agent's fault
      this.mark(false);
      throw new AgentUnavailableError(describeFetchError(err, this.baseUrl));
    }
    this.mark(true);
    if (res.status < 200 || res.status > 299)
      throw refusal(path, res.status, await res.text().catch(() => ''), res.header('retry-after'));
    return res;
  }

  private async call(path: AgentCallPath, transportMs: number, payload: object): Promise<AgentCallResult> {
    const text = await (await this.send(path, transportMs, payload)).text().catch(() => '');
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new AgentUnavailableError(`${path} answered a body that is not JSON`);
    }
    return validated(path, body);
  }

  private mark(up: boolean): void {
    if (this.reachable !== up) this.observers.onReachability?.(up);
    this.reachable = up;
  }
}

/** A figure outside the contract is an agent fault: it must not reach the health engine. */
function validated(path: AgentCallPath, body: unknown): AgentCallResult {
  const parsed = parseCallResult(path, body);
  if (!parsed.ok) throw new AgentUnavailableError(`${path} answered outside the contract: ${parsed.problems}`);
  return parsed.result;
}

/**
 * The error for an agent answer that is not 2xx: a request fault (the caller's), a refusal of this model (422,
 * e.g. a provider the agent is not configured with), or the agent unable to serve us now (anything else, a 504
 * for a deadline that passed while the agent was stalled included).
 */
function refusal(path: string, status: number, text: string, retryAfter: string | null): Error {
  const fault = status === 422 ? requestFaultIn(text) : null;
  if (fault) return fault;
  const detail = `${path} answered HTTP ${status}${hintFor(status)}: ${text.slice(0, 300)}`;
  if (status === 503 && saysOverloaded(text)) return new AgentOverloadedError(detail, retryAfterSeconds(retryAfter));
  return status === 422 ? new AgentRejectedError(detail) : new AgentUnavailableError(detail);
}

/** Reads the agent's NDJSON events: first_token (told at once), then the result. */
async function readEvents(res: AgentResponse, onFirstToken: (ttftMs: number) => void): Promise<AgentCallResult> {
  const decoder = new TextDecoder();
  let buffered = '';
  let result: AgentCallResult | null = null;
  // Read to the end even after the result (the agent's last line): a response read to its end leaves
  // its keep-alive connection for the next call instead of closing it.
  for await (const chunk of res.chunks()) {
    if (result) continue;
    buffered += decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      const event = JSON.parse(line) as { event?: string; ttftMs?: unknown };
      if (event.event === 'first_token' && typeof event.ttftMs === 'number' && event.ttftMs >= 0)
        onFirstToken(event.ttftMs);
      if (event.event === 'result') {
        const { event: _kind, ...fields } = event as Record<string, unknown>;
        result = validated('/v1/interviews', fields);
        break;
      }
    }
  }
  if (result) return result;
  throw new Error('the stream ended without a result');
}

/** The agent's overload answer: {"error": "overloaded", ...} (or {"error": {"code": "overloaded"}}). */
function saysOverloaded(text: string): boolean {
  try {
    const body = JSON.parse(text) as { error?: unknown };
    const error = body.error as { code?: unknown } | string | undefined;
    return error === 'overloaded' || (typeof error === 'object' && error?.code === 'overloaded');
  } catch {
    return false;
  }
}

/** Retry-After in seconds (RFC 9110 §10.2.3: delay-seconds or an HTTP date); 1 when absent or unreadable. */
export function retryAfterSeconds(header: string | null, now = Date.now()): number {
  if (header === null) return 1;
  const seconds = /^\d+$/.test(header.trim()) ? Number(header.trim()) : (Date.parse(header) - now) / 1000;
  return Number.isFinite(seconds) ? Math.min(3600, Math.max(1, Math.ceil(seconds))) : 1;
}

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

/** What an agent refusal of every call usually means, for the log and /readyz. */
function hintFor(status: number): string {
  if (status === 401) return ' (MODELWATCH_AGENT_TOKEN differs between service and agent)';
  if (status === 400) return " (the agent does not answer to AGENT_URL's host name: see AGENT_ALLOWED_HOSTS)";
  return '';
}

function describeFetchError(err: unknown, baseUrl: string): string {
  const e = err as { name?: string; code?: string; cause?: { code?: string } };
  if (e.name === 'AgentDownError') return (err as Error).message;
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return `no answer from ${baseUrl} in time`;
  const code = e.cause?.code ?? e.code;
  return code ? `${code} connecting to ${baseUrl}` : `cannot reach ${baseUrl}`;
}

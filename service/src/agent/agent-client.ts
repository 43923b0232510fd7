import { context, propagation } from '@opentelemetry/api';
import type { SchemaInterviewRequest, SchemaProbeRequest } from './contract.gen.js';
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

/** The agent answered, but refused this request (HTTP 4xx): a configuration problem of this model, not an outage. */
export class AgentRejectedError extends Error {
  constructor(readonly detail: string) {
    super(`agent refused the request: ${detail}`);
    this.name = 'AgentRejectedError';
  }
}

// The agent enforces each call's own timeout; this margin covers the hop to it and back.
const TRANSPORT_MARGIN_MS = 2_000;
// Once the agent is known unreachable, a call first re-checks it for at most this long instead of waiting
// out its whole deadline: a frozen agent fails starts in about a second.
export const RECHECK_MS = 1_000;

export class AgentClient {
  private reachable: boolean | null = null;
  private recheck: Promise<{ ready: boolean; reason: string }> | null = null;
  private readonly authorization: string;

  /** `token` is the shared secret the agent requires on every call (MODELWATCH_AGENT_TOKEN). */
  constructor(
    private readonly baseUrl: string,
    token: string,
    private readonly onReachability: (up: boolean) => void = () => {},
  ) {
    this.authorization = `Bearer ${token}`;
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

  /** Readiness: does the agent answer its health endpoint right now. */
  async checkReady(timeoutMs = 2_000): Promise<{ ready: boolean; reason: string }> {
    try {
      // With the token, so a token the agent does not share shows here rather than on the first call.
      const res = await fetch(`${this.baseUrl}/healthz`, {
        headers: { authorization: this.authorization },
        signal: AbortSignal.timeout(timeoutMs),
      });
      await res.arrayBuffer();
      this.mark(res.ok);
      return res.ok
        ? { ready: true, reason: 'agent answers' }
        : { ready: false, reason: `agent /healthz answered HTTP ${res.status}${hintFor(res.status)}` };
    } catch (err) {
      this.mark(false);
      return { ready: false, reason: `agent unavailable: ${describeFetchError(err, this.baseUrl)}` };
    }
  }

  /** Known down: one short health check (shared by concurrent calls) decides, instead of each call's deadline. */
  private async ensureReachable(): Promise<void> {
    if (this.reachable !== false) return;
    this.recheck ??= this.checkReady(RECHECK_MS).finally(() => (this.recheck = null));
    const { ready, reason } = await this.recheck;
    if (!ready) throw new AgentUnavailableError(`still unreachable (${reason})`);
  }

  private async call(path: AgentCallPath, transportMs: number, payload: object): Promise<AgentCallResult> {
    // Wall-clock time (not an injected clock): the agent compares the deadline with its own clock, same host.
    const calledAt = Date.now();
    await this.ensureReachable();
    // The re-check spends part of the caller's budget: the call gets only what is left of it.
    const deadlineAt = calledAt + transportMs;
    const headers: Record<string, string> = { 'content-type': 'application/json', authorization: this.authorization };
    propagation.inject(context.active(), headers);
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}${path}`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ ...payload, deadlineAt }),
        signal: AbortSignal.timeout(Math.max(1, deadlineAt - Date.now())),
      });
    } catch (err) {
      this.mark(false);
      throw new AgentUnavailableError(describeFetchError(err, this.baseUrl));
    }
    const text = await res.text().catch(() => '');
    this.mark(true);
    if (!res.ok) {
      const detail = `${path} answered HTTP ${res.status}${hintFor(res.status)}: ${text.slice(0, 300)}`;
      // 422 refuses this request (e.g. a provider the agent is not configured with); anything else (a 504 for
      // a deadline that passed while the agent was stalled included) means the agent cannot serve us now.
      throw res.status === 422 ? new AgentRejectedError(detail) : new AgentUnavailableError(detail);
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new AgentUnavailableError(`${path} answered a body that is not JSON`);
    }
    // A figure outside the contract is an agent fault: it must not reach the health engine.
    const parsed = parseCallResult(path, body);
    if (!parsed.ok) throw new AgentUnavailableError(`${path} answered outside the contract: ${parsed.problems}`);
    return parsed.result;
  }

  private mark(up: boolean): void {
    if (this.reachable !== up) this.onReachability(up);
    this.reachable = up;
  }
}

/** What an agent refusal of every call usually means, for the log and /readyz. */
function hintFor(status: number): string {
  if (status === 401) return ' (MODELWATCH_AGENT_TOKEN differs between service and agent)';
  if (status === 400) return " (the agent does not answer to AGENT_URL's host name: see AGENT_ALLOWED_HOSTS)";
  return '';
}

function describeFetchError(err: unknown, baseUrl: string): string {
  const e = err as { name?: string; cause?: { code?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return `no answer from ${baseUrl} in time`;
  const code = e.cause?.code;
  return code ? `${code} connecting to ${baseUrl}` : `cannot reach ${baseUrl}`;
}

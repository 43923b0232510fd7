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
  };
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

  private async call(path: string, transportMs: number, payload: unknown): Promise<AgentCallResult> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    propagation.inject(context.active(), headers);
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}${path}`, {
        method: 'POST',
        headers,
        body: JSON.stringify(payload),
        signal: AbortSignal.timeout(transportMs),
      });
    } catch (err) {
      const detail = describeFetchError(err, this.baseUrl);
      this.mark(false, detail);
      throw new AgentUnavailableError(detail);
    }
    const text = await res.text().catch(() => '');
    if (!res.ok) {
      this.mark(true, null);
      const detail = `${path} answered HTTP ${res.status}: ${text.slice(0, 300)}`;
      throw res.status < 500 ? new AgentRejectedError(detail) : new AgentUnavailableError(detail);
    }
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

function describeFetchError(err: unknown, baseUrl: string): string {
  const e = err as { name?: string; cause?: { code?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return `no answer from ${baseUrl} in time`;
  const code = e.cause?.code;
  return code ? `${code} connecting to ${baseUrl}` : `cannot reach ${baseUrl}`;
}

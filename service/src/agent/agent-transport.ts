import { Agent as HttpAgent, request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/**
 * Calls the agent over node:http with a keep-alive pool (its health check too). Not fetch: measured on this service,
 * undici's fetch (web streams, a Request and a Response object, AbortSignal.timeout and .any per
 * call) was the largest single share of the service's CPU per start (bench/README.md, Profiles).
 * Errors keep fetch's shape where the client reads them: `name` TimeoutError / AbortError for a
 * deadline or a caller that gave up, else the socket error with its `code` (ECONNREFUSED...).
 */
export interface AgentResponse {
  status: number;
  header(name: string): string | null;
  /** The body as it arrives; throws the deadline's or the caller's error if either ends it first. */
  chunks(): AsyncIterable<Buffer>;
  text(): Promise<string>;
}

export interface AgentRequest {
  path: string;
  headers: OutgoingHttpHeaders;
  /** Sent as a POST; without one the call is a GET. */
  body?: string;
  timeoutMs: number;
  /** The caller giving up (a hedge won): the call is closed at once. */
  signal?: AbortSignal | undefined;
}

// Idle sockets are closed after 4 s, before uvicorn's 5-s keep-alive timeout closes them under a request.
const IDLE_SOCKET_MS = 4_000;

export class AgentTransport {
  private readonly pool: HttpAgent;
  private readonly send: typeof httpRequest;
  private readonly url: URL;
  // Every call not yet ended, body included: how `abandonAll` reaches them without a signal per call.
  private readonly live = new Set<(err: Error) => void>();

  constructor(baseUrl: string) {
    this.url = new URL(baseUrl);
    const https = this.url.protocol === 'https:';
    const options = { keepAlive: true, timeout: IDLE_SOCKET_MS, scheduling: 'lifo' as const };
    this.pool = https ? new HttpsAgent(options) : new HttpAgent(options);
    this.send = https ? httpsRequest : httpRequest;
  }

  /** One POST with a JSON body (a GET without one); `timeoutMs` bounds the whole exchange, body included. */
  async request(call: AgentRequest): Promise<AgentResponse> {
    try {
      return await this.once(call);
    } catch (err) {
      // A kept-alive socket the agent closed just as it was reused: the request never reached it. Once more.
      if ((err as { reusedSocket?: boolean }).reusedSocket && !call.signal?.aborted) return this.once(call);
      throw err;
    }
  }

  close(): void {
    this.pool.destroy();
  }

  /** Ends every call in flight at once with an `AgentDownError` (the agent stopped answering its health check). */
  abandonAll(message: string): void {
    for (const stop of [...this.live]) stop(named('AgentDownError', message));
  }

  private once({ path, headers, body, timeoutMs, signal }: AgentRequest): Promise<AgentResponse> {
    return new Promise((resolve, reject) => {
      const req = this.send({
        host: this.url.hostname,
        port: this.url.port,
        path: `${this.url.pathname.replace(/\/$/, '')}${path}`,
        method: body === undefined ? 'GET' : 'POST',
        agent: this.pool,
        headers: body === undefined ? headers : { ...headers, 'content-length': Buffer.byteLength(body) },
      });
      let res: IncomingMessage | null = null;
      const stop = (err: Error): void => void (res ? res.destroy(err) : req.destroy(err));
      const timer = setTimeout(() => stop(named('TimeoutError', 'the agent did not answer in time')), timeoutMs);
      const onAbort = (): void => stop(named('AbortError', 'the caller gave up'));
      this.live.add(stop);
      const done = (): void => {
        this.live.delete(stop);
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      if (signal?.aborted) onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      req.on('error', (err) => {
        done();
        // Only before any byte of an answer came back on a reused socket is a retry safe.
        if (res === null && req.reusedSocket && (err as NodeJS.ErrnoException).code === 'ECONNRESET')
          Object.assign(err, { reusedSocket: true });
        reject(err);
      });
      req.on('response', (response) => {
        res = response;
        response.on('close', done);
        resolve(answer(response));
      });
      req.end(body);
    });
  }
}

function answer(res: IncomingMessage): AgentResponse {
  return {
    status: res.statusCode ?? 0,
    header: (name) => {
      const value = res.headers[name.toLowerCase()];
      return Array.isArray(value) ? (value[0] ?? null) : (value ?? null);
    },
    chunks: () => res,
    text: async () => {
      const parts: Buffer[] = [];
      for await (const chunk of res) parts.push(chunk as Buffer);
      return Buffer.concat(parts).toString('utf8');
    },
  };
}

function named(name: string, message: string): Error {
  const err = new Error(message);
  err.name = name;
  return err;
}

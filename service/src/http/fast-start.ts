import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { context } from '@opentelemetry/api';
import type { Express, Request, Response } from 'express';
import type { ApiContext } from './context.js';
import {
  bearerAccepted,
  closeRequestSpan,
  decodeUtf8,
  errorHandler,
  openRequestSpan,
  tokenDigest,
} from './middleware.js';
import { answerStart, startRefusal } from './routes/interviews.js';

const START_PATH = '/v1/interviews';
const JSON_TYPES = new Set(['application/json', 'application/json; charset=utf-8']);
// body-parser's strict mode: only an object or an array at the top (after JSON's own white space).
const STRICT_JSON = /^[ \t\n\r]*[{[]/;

/**
 * The server's request listener: the common interview start served without Express, everything else by
 * the Express app (app.ts). Why: Express's layers (its router walk, body-parser, the prototype swap of
 * every request and response) were a large share of a start's CPU (bench/README.md, Profiles).
 *
 * Taken here only when every check Express would make before reading the body passes: POST to exactly
 * /v1/interviews, a JSON content type, a known length within api.bodyLimitBytes, no content or transfer
 * encoding, the bearer token when one is configured, not shutting down, a well-formed Idempotency-Key.
 * Any other request goes to Express, which answers it as before (415, 413, 401, 503, 400...). Once taken,
 * it gets what Express's layers give it: the SERVER span (middleware.ts), a body refused as invalid
 * UTF-8 or JSON with the same 400, the same handler (routes/interviews.ts) and errors answered by the
 * same errorHandler.
 */
export function withFastStart(app: Express, ctx: ApiContext): RequestListener {
  const token = tokenDigest(ctx.api.token);
  const onError = errorHandler(ctx.logger);
  const limit = ctx.api.bodyLimitBytes;
  return (req, res) => {
    const key = idempotencyKey(req);
    const plain = plainStart(req, limit) && bearerAccepted(token, req.headers.authorization) && !startRefusal(ctx, key);
    if (!plain) {
      void app(req, res);
      return;
    }
    const { span, active } = openRequestSpan(ctx.tracer, 'POST', START_PATH, req.headers);
    // As with Express: the span is named by its route once the body was read and the handler ran.
    let route: string | null = null;
    res.on('finish', () => closeRequestSpan(span, 'POST', route, res.statusCode));
    const fail = (err: unknown): void => {
      asExpress(app, req, res);
      onError(err, req as Request, res as Response, () => undefined);
    };
    const parts: Buffer[] = [];
    req.on('data', (chunk: Buffer) => parts.push(chunk));
    // Bound to the span's context: stream events run in the socket's, not the listener's.
    req.on(
      'end',
      context.bind(active, () => {
        let body: unknown;
        try {
          body = parseJson(parts.length === 1 ? parts[0]! : Buffer.concat(parts));
        } catch (err) {
          return fail(err);
        }
        route = START_PATH;
        answerStart(ctx, body, key, res).catch(fail);
      }),
    );
  };
}

function plainStart(req: IncomingMessage, limit: number): boolean {
  const { headers } = req;
  const length = Number(headers['content-length']);
  return (
    req.method === 'POST' &&
    req.url === START_PATH &&
    length > 0 &&
    length <= limit &&
    headers['transfer-encoding'] === undefined &&
    headers['content-encoding'] === undefined &&
    JSON_TYPES.has((headers['content-type'] ?? '').toLowerCase())
  );
}

function idempotencyKey(req: IncomingMessage): string | null {
  // As Express's req.get reads it (node joins a repeated header with ", ").
  const key = req.headers['idempotency-key'];
  return key === undefined ? null : String(key);
}

/** body-parser's json({ strict: true }) with the UTF-8 check of app.ts, throwing the errors errorHandler maps. */
function parseJson(buf: Buffer): unknown {
  const text = decodeUtf8(buf);
  try {
    if (!STRICT_JSON.test(text)) throw new SyntaxError('not an object or an array');
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw Object.assign(err as Error, { type: 'entity.parse.failed', status: 400 });
  }
}

/** What Express's app.handle does to a request before its layers, so errorHandler can answer with res.json. */
function asExpress(app: Express, req: IncomingMessage, res: ServerResponse): void {
  Object.assign(req, { res });
  Object.assign(res, { req, locals: Object.create(null) as object });
  Object.setPrototypeOf(req, app.request);
  Object.setPrototypeOf(res, app.response);
}

import { timingSafeEqual, createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import {
  context,
  propagation,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express';
import { AppError } from '../app/app-error.js';
import { StorageError } from '../store/storage-errors.js';
import type { Logger } from '../telemetry/logger.js';

export function sendError(res: Response, err: AppError): void {
  if (err.status === 401) res.set('WWW-Authenticate', 'Bearer realm="modelwatch"');
  // Every retryable refusal that knows when to come back says so in the standard header too.
  const retryAfter = err.details.retryAfterSeconds;
  if (err.status === 503 && typeof retryAfter === 'number') res.set('Retry-After', String(retryAfter));
  res.status(err.status).json({ error: { code: err.code, message: err.message, details: err.details } });
}

/**
 * A SERVER span per request, continuing the caller's W3C trace context. Written here rather than
 * by auto-instrumentation so it works the same under ESM and tests, and names spans by route.
 */
export function requestSpan(tracer: Tracer): RequestHandler {
  return (req, res, next) => {
    if (req.path === '/metrics' || req.path === '/healthz') return next();
    const { span, active } = openRequestSpan(tracer, req.method, req.path, req.headers);
    res.on('finish', () => {
      const route = (req.route as { path?: string } | undefined)?.path;
      closeRequestSpan(span, req.method, route ? `${req.baseUrl}${route}` : null, res.statusCode);
    });
    context.with(active, next);
  };
}

/** The request's SERVER span and the context to run its handling in (also used by fast-start.ts). */
export function openRequestSpan(
  tracer: Tracer,
  method: string,
  path: string,
  headers: IncomingHttpHeaders,
): { span: Span; active: Context } {
  const parent = propagation.extract(context.active(), headers);
  const span = tracer.startSpan(
    `${method} ${path}`,
    { kind: SpanKind.SERVER, attributes: { 'http.request.method': method, 'url.path': path } },
    parent,
  );
  return { span, active: trace.setSpan(parent, span) };
}

/** Named by its route once one matched; the status, and ERROR on a 5xx. */
export function closeRequestSpan(span: Span, method: string, route: string | null, status: number): void {
  if (route) {
    span.updateName(`${method} ${route}`);
    span.setAttribute('http.route', route);
  }
  span.setAttribute('http.response.status_code', status);
  if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
  span.end();
}

/** Only JSON bodies: anything else with a body is a 415 rather than a confusing validation error. */
export const requireJson: RequestHandler = (req, _res, next) => {
  const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
  if (['POST', 'PUT', 'PATCH'].includes(req.method) && hasBody && !req.is('application/json')) {
    return next(
      new AppError(
        415,
        'unsupported_media_type',
        `content-type must be application/json (got ${req.headers['content-type'] ?? 'none'})`,
        { field: 'content-type' },
      ),
    );
  }
  next();
};

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** The SHA-256 of the configured token, null when none is: what `bearerAccepted` compares with. */
export const tokenDigest = (token: string | undefined): Buffer | null => (token ? digest(token) : null);

/** An Authorization header carrying the token (compared in constant time: hashing first makes the lengths equal). */
export function bearerAccepted(expected: Buffer | null, authorization: string | undefined): boolean {
  if (!expected) return true;
  // The scheme is case-insensitive (RFC 9110 §11.1).
  const given = /^bearer +(\S+) *$/i.exec(authorization ?? '')?.[1] ?? '';
  return given !== '' && timingSafeEqual(digest(given), expected);
}

/** Bearer-token check: a 401 naming the header when it does not carry the token. */
export function requireToken(token: string | undefined): RequestHandler {
  const expected = tokenDigest(token);
  return (req, _res, next) => {
    if (bearerAccepted(expected, req.headers.authorization)) return next();
    next(
      new AppError(401, 'unauthorized', 'this endpoint needs Authorization: Bearer <MODELWATCH_API_TOKEN>', {
        field: 'authorization',
      }),
    );
  };
}

/** Maps every error to the JSON error shape: body-parser's to 4xx, anything unexpected to a bare 500. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof AppError) return sendError(res, err);
    if (err instanceof StorageError) {
      logger.warn({ event: 'storage_refused', code: err.code, path: req.path, reason: err.message }, 'storage refused');
      res.set('Retry-After', String(err.retryAfterSeconds));
      return sendError(
        res,
        new AppError(503, err.code, err.message, { retryable: true, retryAfterSeconds: err.retryAfterSeconds }),
      );
    }
    const e = err as { type?: string; status?: number; limit?: number; message?: string };
    if (e.type === 'entity.too.large')
      return sendError(
        res,
        new AppError(413, 'payload_too_large', `request body is over the limit of ${e.limit} bytes`, {
          field: 'body',
          limit: e.limit,
        }),
      );
    if (e.type === 'encoding.invalid')
      return sendError(res, new AppError(400, 'malformed_json', 'request body is not valid UTF-8', { field: 'body' }));
    if (e.type === 'entity.parse.failed')
      return sendError(res, new AppError(400, 'malformed_json', 'request body is not valid JSON', { field: 'body' }));
    if (e.type === 'encoding.unsupported' || e.type === 'charset.unsupported')
      return sendError(
        res,
        new AppError(415, 'unsupported_media_type', e.message ?? 'unsupported encoding', { field: 'content-type' }),
      );
    if (typeof e.status === 'number' && e.status >= 400 && e.status < 500)
      return sendError(res, new AppError(e.status, 'bad_request', e.message ?? 'bad request', {}));
    logger.error({ err, path: req.path }, 'unhandled error');
    sendError(res, new AppError(500, 'internal', 'internal error; the log has the details', {}));
  };
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** body-parser would replace invalid UTF-8 with U+FFFD and store it; refuse it instead. */
export function rejectInvalidUtf8(_req: Request, _res: Response, buf: Buffer): void {
  decodeUtf8(buf);
}

/** The body as text (a BOM dropped, as body-parser does); invalid UTF-8 throws the error errorHandler maps to 400. */
export function decodeUtf8(buf: Buffer): string {
  try {
    return strictUtf8.decode(buf);
  } catch {
    throw Object.assign(new Error('request body is not valid UTF-8'), { type: 'encoding.invalid', status: 400 });
  }
}

/** A known path with an undeclared method gets 405 and an Allow header, not 404. */
export function methodNotAllowed(paths: Record<string, Record<string, unknown>>): RequestHandler {
  const routes = Object.entries(paths).map(([path, item]) => {
    const methods = Object.keys(item).map((m) => m.toUpperCase());
    return {
      pattern: new RegExp(`^${path.replace(/\{[^}]+\}/g, '[^/]+')}$`),
      path,
      allow: methods.includes('GET') ? [...methods, 'HEAD'] : methods,
    };
  });
  return (req, res, next) => {
    const route = routes.find((r) => r.pattern.test(req.path));
    if (!route) return next();
    res.set('Allow', route.allow.join(', '));
    next(
      new AppError(
        405,
        'method_not_allowed',
        `${req.method} is not allowed on ${route.path} (allowed: ${route.allow.join(', ')})`,
        { allow: route.allow },
      ),
    );
  };
}

import { trace } from '@opentelemetry/api';
import pino, { type DestinationStream, type Logger } from 'pino';

/**
 * JSON logs with the active trace and span ids, so a log line leads to its trace.
 * Authorization headers and anything named like a key or token are redacted as a second line of
 * defence: the code never logs them in the first place.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'modelwatch-service' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: {
        paths: ['authorization', 'headers.authorization', '*.authorization', 'apiKey', '*.apiKey', 'token', '*.token'],
        censor: '[redacted]',
      },
      mixin() {
        const ctx = trace.getActiveSpan()?.spanContext();
        return ctx ? { trace_id: ctx.traceId, span_id: ctx.spanId } : {};
      },
    },
    destination,
  );
}

export type { Logger };

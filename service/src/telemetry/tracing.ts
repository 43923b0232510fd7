import { trace, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor, NoopSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';

export interface TracingOptions {
  serviceName: string;
  /** True when OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT is set and OTEL_TRACES_EXPORTER is not `none`. */
  exportEnabled: boolean;
  /** Tests hand in their own processor (an in-memory exporter); production leaves it out. */
  spanProcessor?: SpanProcessor;
}

export interface Tracing {
  tracer: Tracer;
  shutdown(): Promise<void>;
}

/**
 * Starts the OpenTelemetry SDK. Without an endpoint, spans are still created (so fallback events,
 * logs and exemplars carry real trace ids) but go nowhere: no exporter, nothing in the log.
 * The OTLP exporter reads the standard OTEL_EXPORTER_OTLP_* variables itself.
 */
export function startTracing(options: TracingOptions): Tracing {
  const processor =
    options.spanProcessor ??
    (options.exportEnabled ? new BatchSpanProcessor(new OTLPTraceExporter()) : new NoopSpanProcessor());
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({ 'service.name': options.serviceName }),
    spanProcessors: [processor],
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [],
  });
  sdk.start();
  return {
    tracer: trace.getTracer('modelwatch-service'),
    shutdown: () => sdk.shutdown(),
  };
}

/** The current trace id, or null outside a span. */
export function currentTraceId(): string | null {
  const ctx = trace.getActiveSpan()?.spanContext();
  return ctx && ctx.traceFlags !== undefined && /[^0]/.test(ctx.traceId) ? ctx.traceId : null;
}

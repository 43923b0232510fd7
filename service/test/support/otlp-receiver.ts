// The one OTLP/HTTP receiver of the TypeScript tests: a real HTTP server that keeps every trace export.
import { createServer, type Server } from 'node:http';

export interface OtlpExport {
  contentType: string;
  body: Buffer;
}

export interface OtlpReceiver {
  /** The base URL, for OTEL_EXPORTER_OTLP_ENDPOINT. */
  url: string;
  /** The raw body of every POST /v1/traces so far, in arrival order. */
  exports: OtlpExport[];
  /** Whether any export so far (OTLP JSON or protobuf) carries this trace id. */
  hasTrace(traceId: string): boolean;
  close(): Promise<void>;
}

/** Answers every export as an OTLP collector would (200, empty partial success), in its encoding. */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const exports: OtlpExport[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const contentType = String(req.headers['content-type']);
      if (req.method === 'POST' && req.url === '/v1/traces') exports.push({ contentType, body: Buffer.concat(chunks) });
      const isJson = contentType.includes('json');
      res.writeHead(200, { 'content-type': isJson ? 'application/json' : 'application/x-protobuf' });
      res.end(isJson ? '{}' : '');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    exports,
    hasTrace: (traceId) => exports.some((e) => payloadHasTrace(e.body, traceId)),
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/** JSON carries the id as hex (or base64), protobuf as 16 raw bytes. */
function payloadHasTrace(body: Buffer, traceId: string): boolean {
  const raw = Buffer.from(traceId, 'hex');
  return body.includes(traceId) || body.includes(raw) || body.includes(raw.toString('base64'));
}

"""A test OTLP/HTTP traces receiver that understands both encodings our processes send:
protobuf (Python's exporter) and JSON (the Node exporter). Spans come out as plain dicts."""

from __future__ import annotations

import gzip
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest


def _value(v: dict) -> object:
    for key in ("stringValue", "intValue", "doubleValue", "boolValue"):
        if key in v:
            return int(v[key]) if key == "intValue" else v[key]
    if "arrayValue" in v:
        return [_value(x) for x in v["arrayValue"].get("values", [])]
    return None


def _from_json(payload: dict) -> list[dict]:
    spans = []
    for rs in payload.get("resourceSpans", []):
        service = {a["key"]: _value(a["value"]) for a in rs.get("resource", {}).get("attributes", [])}.get(
            "service.name"
        )
        for ss in rs.get("scopeSpans", []):
            for s in ss.get("spans", []):
                spans.append(
                    {
                        "service": service,
                        "name": s["name"],
                        "trace_id": s["traceId"].lower(),
                        "span_id": s["spanId"].lower(),
                        "parent_span_id": (s.get("parentSpanId") or "").lower(),
                        "kind": s.get("kind"),
                        "attributes": {a["key"]: _value(a["value"]) for a in s.get("attributes", [])},
                        "events": [e["name"] for e in s.get("events", [])],
                    }
                )
    return spans


def _any_value(v) -> object:
    which = v.WhichOneof("value")
    if which == "array_value":
        return [_any_value(x) for x in v.array_value.values]
    return getattr(v, which) if which else None


def _from_protobuf(body: bytes) -> list[dict]:
    request = ExportTraceServiceRequest.FromString(body)
    spans = []
    for rs in request.resource_spans:
        service = {a.key: _any_value(a.value) for a in rs.resource.attributes}.get("service.name")
        for ss in rs.scope_spans:
            for s in ss.spans:
                spans.append(
                    {
                        "service": service,
                        "name": s.name,
                        "trace_id": s.trace_id.hex(),
                        "span_id": s.span_id.hex(),
                        "parent_span_id": s.parent_span_id.hex(),
                        "kind": s.kind,
                        "attributes": {a.key: _any_value(a.value) for a in s.attributes},
                        "events": [e.name for e in s.events],
                    }
                )
    return spans


class OtlpReceiver(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.spans: list[dict] = []
        self.raw: list[bytes] = []
        self.lock = threading.Lock()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: OtlpReceiver

    def do_POST(self) -> None:
        body = self._read_body()
        if self.headers.get("content-encoding") == "gzip":
            body = gzip.decompress(body)
        is_json = "json" in (self.headers.get("content-type") or "")
        spans = _from_json(json.loads(body)) if is_json else _from_protobuf(body)
        with self.server.lock:
            self.server.raw.append(body)
            self.server.spans.extend(spans)
        self.send_response(200)
        self.send_header("content-type", "application/json" if is_json else "application/x-protobuf")
        self.send_header("content-length", "2" if is_json else "0")
        self.end_headers()
        if is_json:
            self.wfile.write(b"{}")

    def _read_body(self) -> bytes:
        if self.headers.get("transfer-encoding", "").lower() != "chunked":
            return self.rfile.read(int(self.headers.get("content-length", 0)))
        chunks: list[bytes] = []
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip(), 16)
            if size == 0:
                self.rfile.readline()
                return b"".join(chunks)
            chunks.append(self.rfile.read(size))
            self.rfile.readline()

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def otlp_receiver() -> Iterator[OtlpReceiver]:
    server = OtlpReceiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()

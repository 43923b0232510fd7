"""The OTLP/HTTP traces receiver every suite uses. It understands both encodings our processes send,
protobuf (Python's exporter) and JSON (the Node exporter), gzipped or not; spans come out as plain dicts."""

from __future__ import annotations

import gzip
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

TRACES_PATH = "/v1/traces"


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


class OtlpReceiver:
    """An OTLP/HTTP endpoint on a free port, serving from a thread until `close()` (or the end of a `with`).

    Keeps every request's path and (gunzipped) body, and the spans of each trace export as plain dicts."""

    def __init__(self) -> None:
        self._server = _Server(self)
        self._lock = threading.Lock()
        self._paths: list[str] = []
        self._bodies: list[bytes] = []
        self._spans: list[dict] = []
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def __enter__(self) -> OtlpReceiver:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def paths(self) -> list[str]:
        with self._lock:
            return list(self._paths)

    def bodies(self) -> list[bytes]:
        """The raw body of every trace export, for tests that look for what must never be sent."""
        with self._lock:
            return list(self._bodies)

    def spans(self) -> list[dict]:
        with self._lock:
            return list(self._spans)

    def _keep(self, path: str, body: bytes, is_json: bool) -> None:
        spans = []
        if path == TRACES_PATH:
            spans = _from_json(json.loads(body)) if is_json else _from_protobuf(body)
        with self._lock:
            self._paths.append(path)
            if path == TRACES_PATH:
                self._bodies.append(body)
                self._spans.extend(spans)


class _Server(ThreadingHTTPServer):
    def __init__(self, receiver: OtlpReceiver) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.receiver = receiver


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        body = self._read_body()
        if self.headers.get("content-encoding", "").lower() == "gzip":
            body = gzip.decompress(body)
        is_json = "json" in (self.headers.get("content-type") or "")
        self.server.receiver._keep(self.path, body, is_json)
        reply = b"{}" if is_json else b""
        self.send_response(200)
        self.send_header("content-type", "application/json" if is_json else "application/x-protobuf")
        self.send_header("content-length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def _read_body(self) -> bytes:
        # Node's exporter streams its body (chunked); Python's sends a content-length.
        if self.headers.get("transfer-encoding", "").lower() != "chunked":
            return self.rfile.read(int(self.headers.get("content-length") or 0))
        chunks: list[bytes] = []
        while (size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)) > 0:
            chunks.append(self.rfile.read(size))
            self.rfile.readline()
        self.rfile.readline()
        return b"".join(chunks)

    def log_message(self, *args: object) -> None:
        pass

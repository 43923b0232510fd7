"""The real agent process exports its spans over OTLP/HTTP, continues the caller's trace, and flushes on SIGTERM."""

from __future__ import annotations

import gzip
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from agent.tests.agent_client import AUTHORIZATION, CANARY_KEY, KEY_VARIABLE, agent_env
from agent.tests.processes import start_module

pytestmark = pytest.mark.timeout(60)
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


class OtlpReceiver(ThreadingHTTPServer):
    """A minimal OTLP/HTTP traces endpoint that keeps every export request."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _ExportHandler)
        self.exports: list[ExportTraceServiceRequest] = []
        self.paths: list[str] = []


class _ExportHandler(BaseHTTPRequestHandler):
    server: OtlpReceiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        if self.headers.get("content-encoding") == "gzip":
            body = gzip.decompress(body)
        self.server.paths.append(self.path)
        self.server.exports.append(ExportTraceServiceRequest.FromString(body))
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[OtlpReceiver]:
    server = OtlpReceiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_spans_reach_the_collector_in_the_callers_trace(receiver: OtlpReceiver, agent_config: Path, tmp_path):
    env = agent_env(
        agent_config,
        OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{receiver.server_address[1]}",
        **{KEY_VARIABLE: CANARY_KEY},
    )
    agent = start_module("agent", env, tmp_path / "agent.log")
    try:
        body = {"modelId": "anthropic:claude-sonnet-4", "provider": "anthropic", "model": "claude-sonnet-4"}
        headers = {"traceparent": f"00-{TRACE_ID}-00f067aa0ba902b7-01", **AUTHORIZATION}
        result = httpx.post(agent.base_url + "/v1/probe", json=body, headers=headers, timeout=10).json()
        assert result["outcome"] == "success"
    finally:
        agent.stop()  # SIGTERM: the batch processor must flush before the process ends
    assert agent.process.returncode in (0, -15)
    assert set(receiver.paths) == {"/v1/traces"}
    spans = [
        (resource_spans.resource, span)
        for export in receiver.exports
        for resource_spans in export.resource_spans
        for scope_spans in resource_spans.scope_spans
        for span in scope_spans.spans
    ]
    chat = [(resource, span) for resource, span in spans if span.name == "chat claude-sonnet-4"]
    assert len(chat) == 1, [span.name for _, span in spans]
    resource, span = chat[0]
    assert span.trace_id.hex() == TRACE_ID
    service_name = {a.key: a.value.string_value for a in resource.attributes}["service.name"]
    assert service_name == "modelwatch-agent"
    assert CANARY_KEY.encode() not in b"".join(export.SerializeToString() for export in receiver.exports)
    assert '"stopped"' in agent.logs()

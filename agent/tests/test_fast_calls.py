"""The call routes' fast path (agent/fast_calls.py) answers every kind of request as FastAPI does.

Two apps on the same configuration and the same simulator: the agent as built, and a twin without the
FastCalls middleware, so FastAPI's own routes answer. Each request is sent to both, as raw ASGI
messages (asgi_exchange.py), and the answers compared: status, headers and body
bytes, with only the measured times masked (and, for an answer carrying them, its length); then the
SERVER spans the two made. As the service's fast start was checked (service/test/fast-start.api.test.ts).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from prometheus_client import CollectorRegistry

from agent.admission import CallLimits
from agent.app import DEFAULT_LIMITS, Access, create_app
from agent.config_file import load_providers
from agent.fast_calls import FastCalls
from agent.tests.agent_client import AGENT_TOKEN, KEY_VARIABLE
from agent.tests.asgi_exchange import HOST, Answer, exchange

pytestmark = pytest.mark.timeout(120)
JSON = [(b"content-type", b"application/json")]
TRACEPARENT = [(b"traceparent", b"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")]
# What differs from one call to the next however it is served: the measured times and the provider's
# request id, and so the length.
_MEASURED = re.compile(rb'"(latencyMs|ttftMs|queueMs|requestId)":("[^"]*"|[0-9.eE+-]+)')


@dataclass(frozen=True)
class Served:
    app: FastAPI
    http: TestClient
    spans: InMemorySpanExporter

    def send(self, path: str, body: bytes, headers: list[tuple[bytes, bytes]], **how: Any) -> Answer:
        self.spans.clear()
        return self.http.portal.call(lambda: exchange(self.app, path, body, headers, **how))  # type: ignore[union-attr]

    def server_span(self) -> tuple[Any, ...]:
        [span] = [span for span in self.spans.get_finished_spans() if span.kind == SpanKind.SERVER]
        parent = span.parent and format(span.parent.span_id, "016x")  # the service's span, when it sent one
        return span.name, dict(span.attributes or {}), span.status.status_code, parent


def comparable(answer: Answer) -> Answer:
    """The answer with what was measured masked (and its length, when that is in it)."""
    if not _MEASURED.search(answer.body):
        return answer
    headers = [(name, value) for name, value in answer.headers if name != b"content-length"]
    return Answer(answer.status, headers, _MEASURED.sub(rb'"\1":0', answer.body), answer.raised)


@contextmanager
def served(agent_config: Path, limits: CallLimits, *, fast: bool) -> Iterator[Served]:
    spans = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    access = Access(load_providers(str(agent_config), {}), AGENT_TOKEN, frozenset({HOST}))
    app = create_app(CollectorRegistry(), provider, access, limits=limits)
    if not fast:  # the twin: FastAPI's own routes answer every request
        app.user_middleware = [entry for entry in app.user_middleware if entry.cls is not FastCalls]
    with TestClient(app) as http:
        yield Served(app, http, spans)


@pytest.fixture(params=["open", "full"])
def pair(request: pytest.FixtureRequest, agent_config: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """(fast, FastAPI) apps; `full`: no call is admitted, so every call is refused 503 overloaded."""
    monkeypatch.setenv(KEY_VARIABLE, "fast-calls-key-81f0")
    limits = DEFAULT_LIMITS if request.param == "open" else CallLimits(0, 0, 7)
    with served(agent_config, limits, fast=True) as fast, served(agent_config, limits, fast=False) as slow:
        yield fast, slow, request.param


def auth(token: str = AGENT_TOKEN) -> list[tuple[bytes, bytes]]:
    return [(b"authorization", f"Bearer {token}".encode())]


PROBE = b'{"modelId":"openai:gpt-4o","provider":"openai","model":"gpt-4o","timeoutMs":5000}'
INTERVIEW = b'{"modelId":"openai:gpt-4o","provider":"openai","model":"gpt-4o","interview":{"topic":"tea"}}'
CALL_PATHS = ["/v1/probe", "/v1/interviews", "/v1/interviews/stream"]
# (name, path (None: each call path), body, extra headers, how): every kind of answer the routes give.
CASES: list[tuple[str, str | None, bytes, list[tuple[bytes, bytes]], dict[str, Any]]] = [
    ("a probe", "/v1/probe", PROBE, JSON + TRACEPARENT, {}),
    ("an interview", "/v1/interviews", INTERVIEW, JSON + TRACEPARENT, {}),
    ("a streamed interview", "/v1/interviews/stream", INTERVIEW, JSON + TRACEPARENT, {}),
    ("no content type", None, INTERVIEW, [], {}),
    ("a failing provider", None, INTERVIEW.replace(b'"openai"', b'"openai-closed"'), JSON, {}),
    ("a missing key", None, INTERVIEW.replace(b'"openai"', b'"openai-nokey"'), JSON, {}),
    (
        "a field out of range, a value not echoed",
        None,
        INTERVIEW.replace(b"}}", b'},"maxTokens":"sk-12345"}'),
        JSON,
        {},
    ),
    ("a missing field", None, b'{"provider":"openai"}', JSON, {}),
    ("an unconfigured provider", None, INTERVIEW.replace(b'"openai"', b'"elsewhere"'), JSON, {}),
    ("text no provider can take", None, INTERVIEW.replace(b"tea", b"\\ud800"), JSON, {}),
    ("invalid JSON", None, b'{"provider": ', JSON, {}),
    ("an empty body", None, b"", JSON, {}),
    ("a JSON array", None, b"[]", JSON, {}),
    ("text/plain", None, INTERVIEW, [(b"content-type", b"text/plain")], {}),
    ("JSON with a charset", None, INTERVIEW, [(b"content-type", b"application/json; charset=utf-8")], {}),
    ("a deadline passed", None, INTERVIEW.replace(b"}}", b'},"deadlineAt":1}'), JSON, {}),
    ("a caller that hung up", None, INTERVIEW, JSON, {"hang_up": True}),
    ("a GET", None, b"", [], {"method": "GET"}),
    ("a trailing slash", "/v1/probe/", PROBE, JSON, {}),
]


@pytest.mark.parametrize(("name", "path", "body", "headers", "how"), CASES, ids=[case[0] for case in CASES])
def test_each_kind_of_request_is_answered_as_fastapi_answers_it(pair, name, path, body, headers, how):
    fast, slow, _ = pair
    for each in [path] if path else CALL_PATHS:
        for token in (AGENT_TOKEN, "wrong"):
            from_fast = fast.send(each, body, auth(token) + headers, **how)
            from_fastapi = slow.send(each, body, auth(token) + headers, **how)
            assert from_fast.status is not None, (name, each)
            assert comparable(from_fast) == comparable(from_fastapi), (name, each, token)
            if token == AGENT_TOKEN:
                assert fast.server_span() == slow.server_span(), (name, each)


def test_the_fast_path_answers_valid_calls_without_fastapis_routes_and_hands_it_the_rest(pair):
    """Guards the comparison above: with FastAPI's call routes taken away, a valid call is still answered
    (by the fast path), an invalid one reaches FastAPI (which no longer knows the path: 404); the twin
    has no fast path."""
    fast, slow, limits = pair
    assert all(entry.cls is not FastCalls for entry in slow.app.user_middleware)
    routes = list(fast.app.router.routes)
    fast.app.router.routes[:] = [route for route in routes if getattr(route, "path", None) not in CALL_PATHS]
    try:
        for path in CALL_PATHS:
            assert fast.send(path, INTERVIEW, auth() + JSON).status == (200 if limits == "open" else 503)
            assert fast.send(path, b"{}", auth() + JSON).status == 404
    finally:
        fast.app.router.routes[:] = routes

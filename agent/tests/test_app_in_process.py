"""The app in-process (FastAPI TestClient) against the real simulator: spans, validation, client reuse."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from prometheus_client import CollectorRegistry

from agent.app import Access, create_app
from agent.clients import ClientCache
from agent.config_file import load_providers
from agent.tests.agent_client import AGENT_TOKEN, AUTHORIZATION, KEY_VARIABLE, unique_model
from tests.support.processes import RunningProcess

pytestmark = pytest.mark.timeout(60)
IN_PROCESS_KEY = "in-process-key-3c9a"
TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
PARENT_SPAN_ID = "b7ad6b7169203331"


class InProcessAgent:
    def __init__(
        self, http: TestClient, spans: InMemorySpanExporter, simulator: RunningProcess, clients: ClientCache
    ) -> None:
        self.http, self.spans, self.simulator, self.clients = http, spans, simulator, clients

    def probe_body(self, model: str = "gpt-4o", **fields: Any) -> dict[str, Any]:
        return {"modelId": f"openai:{model}", "provider": "openai", "model": model, "timeoutMs": 5000, **fields}

    def chat_spans(self) -> list[ReadableSpan]:
        return [span for span in self.spans.get_finished_spans() if span.name.startswith("chat ")]


def attributes_of(span: ReadableSpan) -> dict[str, Any]:
    return dict(span.attributes or {})


@pytest.fixture
def in_process(
    simulator: RunningProcess, agent_config: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[InProcessAgent]:
    monkeypatch.setenv(KEY_VARIABLE, IN_PROCESS_KEY)
    spans = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    access = Access(load_providers(str(agent_config), {}), AGENT_TOKEN, frozenset({"testserver"}))
    app = create_app(CollectorRegistry(), provider, access)
    with TestClient(app, headers=AUTHORIZATION) as http:
        yield InProcessAgent(http, spans, simulator, app.state.clients)


def test_when_the_service_sends_a_traceparent_then_the_trace_is_continued(in_process: InProcessAgent):
    headers = {"traceparent": f"00-{TRACE_ID}-{PARENT_SPAN_ID}-01"}
    response = in_process.http.post("/v1/probe", json=in_process.probe_body(maxTokens=1), headers=headers)
    assert response.json()["outcome"] == "success"
    spans = in_process.spans.get_finished_spans()
    server = next(span for span in spans if span.kind == SpanKind.SERVER)
    [chat] = in_process.chat_spans()
    assert {format(span.context.trace_id, "032x") for span in spans} == {TRACE_ID}
    assert server.parent is not None and chat.parent is not None and server.context is not None
    assert format(server.parent.span_id, "016x") == PARENT_SPAN_ID
    assert chat.parent.span_id == server.context.span_id
    assert (chat.name, chat.kind) == ("chat gpt-4o", SpanKind.CLIENT)


def test_the_chat_span_carries_the_genai_attributes_and_nothing_private(in_process: InProcessAgent):
    in_process.http.post("/v1/probe", json=in_process.probe_body(maxTokens=1))
    [chat] = in_process.chat_spans()
    attributes = attributes_of(chat)
    port = int(in_process.simulator.url.rsplit(":", 1)[1])
    expected = {
        "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o",
        "gen_ai.response.model": "gpt-4o", "gen_ai.request.max_tokens": 1, "gen_ai.usage.input_tokens": 9,
        "gen_ai.usage.output_tokens": 1, "server.address": "127.0.0.1", "server.port": port,
        "modelwatch.purpose": "probe", "modelwatch.outcome": "success", "http.response.status_code": 200,
    }  # fmt: skip
    assert expected.items() <= attributes.items()
    assert attributes["modelwatch.ttft_ms"] > 0 and attributes["modelwatch.provider_request_id"].startswith("req_")
    assert "error.type" not in attributes and chat.status.status_code == StatusCode.UNSET
    values = " ".join(str(value) for value in attributes.values())
    assert "Reply with" not in values and IN_PROCESS_KEY not in values


def test_when_the_call_fails_then_the_span_has_the_error_type_and_status(in_process: InProcessAgent):
    model = unique_model("claude-sonnet-4")
    faults = {"errorRate": 1, "status": 429, "ttftMs": 0}
    assert httpx.put(f"{in_process.simulator.url}/admin/models/{model}", json=faults).status_code == 200
    body = {**in_process.probe_body(model), "provider": "anthropic"}
    assert in_process.http.post("/v1/probe", json=body).json()["outcome"] == "rate_limited"
    [chat] = in_process.chat_spans()
    assert attributes_of(chat)["error.type"] == "rate_limited"
    assert chat.status.status_code == StatusCode.ERROR and (chat.status.description or "").startswith("HTTP 429: ")


def test_an_interview_span_has_no_prompt_text(in_process: InProcessAgent):
    body = {**in_process.probe_body(), "interview": {"candidateName": "Ada Lovelace", "company": "Acme"}}
    assert in_process.http.post("/v1/interviews", json=body).json()["outcome"] == "success"
    [chat] = in_process.chat_spans()
    attributes = attributes_of(chat)
    assert attributes["modelwatch.purpose"] == "interview"
    values = " ".join(str(value) for value in attributes.values())
    assert "Ada" not in values and "Acme" not in values


def test_health_and_metrics_are_not_traced(in_process: InProcessAgent):
    assert in_process.http.get("/healthz").json() == {"status": "ok"}
    assert in_process.http.get("/metrics").status_code == 200
    assert in_process.spans.get_finished_spans() == ()


def test_one_client_per_configured_provider_is_reused(in_process: InProcessAgent):
    clients = in_process.clients
    for _ in range(3):
        in_process.http.post("/v1/probe", json=in_process.probe_body())
    assert len(clients) == 1
    in_process.http.post("/v1/probe", json={**in_process.probe_body(), "provider": "anthropic"})
    assert len(clients) == 2


def test_probes_of_many_models_on_one_provider_share_its_client(in_process: InProcessAgent):
    """Issue 15: with 1,000 monitored models a client per model thrashed a bounded cache, so nearly every
    probe built a new SDK client and retired the old one with its connection pool."""
    models = [unique_model("many") for _ in range(3)]
    outcomes = [in_process.http.post("/v1/probe", json=in_process.probe_body(m)).json()["outcome"] for m in models]
    assert outcomes == ["success"] * 3
    assert len(in_process.clients) == 1, "one client for the provider, whatever the model"
    assert in_process.clients.retiring == 0, "no client replaced, so no connection pool left to linger"


INVALID_BODIES = [
    ("provider not configured", {"provider": "attacker"}, ["provider"]),
    ("provider not a provider name", {"provider": "sk-Pasted/By mistake"}, ["provider"]),
    ("negative timeout", {"timeoutMs": -1}, ["timeoutMs"]),
    ("zero max tokens", {"maxTokens": 0}, ["maxTokens"]),
    ("empty model", {"model": ""}, ["model"]),
]


@pytest.mark.parametrize(("change", "loc"), [c[1:] for c in INVALID_BODIES], ids=[c[0] for c in INVALID_BODIES])
def test_when_a_field_is_invalid_then_422_names_it_without_echoing_it(in_process: InProcessAgent, change, loc):
    body = in_process.probe_body()
    for field, value in change.items():
        body[field] = {**body[field], **value} if isinstance(value, dict) else value
    response = in_process.http.post("/v1/probe", json=body)
    assert response.status_code == 422
    assert [error["loc"] for error in response.json()["detail"]] == [["body", *loc]]
    assert "sk-pasted-by-mistake" not in response.text

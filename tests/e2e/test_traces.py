"""One interview start is one trace, from the service's HTTP span down to the agent's GenAI span."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.otlp import OtlpReceiver
from tests.support.stack import Stack, providers_file, service_config, start_agent, start_service, start_simulator
from tests.support.waiting import wait_until

pytestmark = pytest.mark.timeout(90)
FAST_EXPORT = {"OTEL_BSP_SCHEDULE_DELAY": "100"}


@pytest.fixture(scope="module")
def traced() -> Iterator[tuple[Stack, OtlpReceiver]]:
    import tempfile

    with OtlpReceiver() as receiver, tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        otel = {"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url, **FAST_EXPORT}
        simulator = start_simulator(tmp_path)
        agent = start_agent(
            tmp_path, providers_file(tmp_path, simulator.url), OTEL_SERVICE_NAME="modelwatch-agent", **otel
        )
        service = start_service(tmp_path, agent.url, service_config(simulator.url), **otel)
        stack = Stack(simulator, agent, service)
        try:
            yield stack, receiver
        finally:
            stack.stop()


def spans_of(receiver: OtlpReceiver, trace_id: str) -> list[dict]:
    return [s for s in receiver.spans() if s["trace_id"] == trace_id]


def test_an_interview_start_with_a_fallback_is_one_trace_from_service_to_llm_span(traced):
    stack, receiver = traced
    svc, sim = stack.service.url, stack.simulator.url
    httpx.post(f"{svc}/v1/probes", json={}, timeout=30).raise_for_status()
    httpx.put(f"{sim}/admin/models/gpt-4o", json={"errorRate": 1, "status": 500}).raise_for_status()
    for _ in range(3):
        httpx.post(f"{svc}/v1/probes", json={"models": ["openai:gpt-4o"]}, timeout=30).raise_for_status()
    started = httpx.post(
        f"{svc}/v1/interviews",
        json={
            "simulationId": "trace",
            "primary": "openai:gpt-4o",
            "config": {"candidate": "Ada", "systemPrompt": "SECRET-PROMPT-TEXT"},
        },
        timeout=30,
    )
    assert started.status_code == 201, started.text
    body = started.json()
    assert body["model"] == "anthropic:claude-sonnet-4"
    trace_id = body["traceId"]

    def chain_to_root():
        """The LLM span's ancestors up to a span with no parent, once every one of them has arrived."""
        spans = spans_of(receiver, trace_id)
        by_id = {s["span_id"]: s for s in spans}
        llm = next((s for s in spans if s["name"] == "chat claude-sonnet-4"), None)
        chain, span = [], llm
        while span is not None and span["parent_span_id"]:
            span = by_id.get(span["parent_span_id"])
            chain.append(span)
        return (spans, llm, chain) if llm and span is not None else None

    spans, llm, chain = wait_until("every span of the interview's trace from both processes", chain_to_root, timeout=20)
    assert llm["service"] == "modelwatch-agent"
    assert llm["attributes"]["gen_ai.operation.name"] == "chat"
    assert llm["attributes"]["gen_ai.provider.name"] == "anthropic"
    assert llm["attributes"]["gen_ai.request.model"] == "claude-sonnet-4"
    assert "gen_ai.response.model" in llm["attributes"]
    assert llm["attributes"]["gen_ai.usage.input_tokens"] > 0
    assert llm["attributes"]["gen_ai.usage.output_tokens"] > 0
    names = [(s["service"], s["name"]) for s in chain]
    assert names[-1] == ("modelwatch-service", "POST /v1/interviews"), names
    assert ("modelwatch-service", "attempt anthropic:claude-sonnet-4") in names
    root = chain[-1]
    assert "modelwatch.fallback" in root["events"]
    assert ("modelwatch-agent", "POST /v1/interviews/stream") in names, "the agent's handler span joins the trace"
    select = next(s for s in spans if s["name"] == "select model")
    assert select["attributes"]["modelwatch.primary.state"] == "unhealthy"
    assert re.search(r"\d+ consecutive failures", select["attributes"]["modelwatch.primary.reason"])

    # Nothing of the prompt reached any exported span.
    assert all(b"SECRET-PROMPT-TEXT" not in raw for raw in receiver.bodies())


def test_each_probe_is_its_own_trace(traced):
    stack, receiver = traced
    httpx.post(f"{stack.service.url}/v1/probes", json={"models": ["openai:gpt-4o-mini"]}, timeout=30).raise_for_status()

    def probe_roots():
        spans = receiver.spans()
        return [s for s in spans if s["name"] == "probe openai:gpt-4o-mini" and not s["parent_span_id"]] or None

    root = wait_until("a probe root span", probe_roots)[0]
    llm = wait_until(
        "the probe's LLM span",
        lambda: [s for s in spans_of(receiver, root["trace_id"]) if s["name"] == "chat gpt-4o-mini"] or None,
    )
    assert llm[0]["attributes"].get("modelwatch.purpose") == "probe"
    assert not any(s["name"].startswith("POST /v1/probes") for s in spans_of(receiver, root["trace_id"]))

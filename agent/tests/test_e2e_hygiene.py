"""What the running agent exposes: metrics, and never the key, wherever one could leak."""

from __future__ import annotations

import json
import re

import httpx
import pytest

from agent.tests.agent_client import CANARY_KEY, PROVIDERS, AgentClient, unique_model

pytestmark = pytest.mark.timeout(60)
OPENMETRICS = "application/openmetrics-text; version=1.0.0"


def test_the_key_never_appears_in_logs_responses_or_metrics(client: AgentClient):
    for kind, model in PROVIDERS:
        client.probe(kind, model)
        client.interview(kind, model, {"role": "SRE", "candidateName": "Ada"})
        failing = unique_model(model)
        client.set_faults(failing, errorRate=1, status=401, ttftMs=0)
        assert client.probe(kind, failing)["outcome"] == "auth"
    metrics_text = httpx.get(client.agent.url + "/metrics").text
    metrics_openmetrics = httpx.get(client.agent.url + "/metrics", headers={"Accept": OPENMETRICS}).text
    assert CANARY_KEY not in client.agent.logs()  # stdout and stderr, at LOG_LEVEL=DEBUG
    assert all(CANARY_KEY not in body for body in client.bodies)
    assert CANARY_KEY not in metrics_text and CANARY_KEY not in metrics_openmetrics


def test_every_call_logs_one_json_line_with_its_trace(client: AgentClient):
    model = unique_model("gpt-4o")
    client.probe("openai", model)
    lines = [line for line in client.agent.logs().splitlines() if f'"model": "{model}"' in line]
    assert len(lines) == 1
    for field in ('"outcome": "success"', '"purpose": "probe"', '"latency_ms": ', '"trace_id": "', '"span_id": "'):
        assert field in lines[0]
    assert "Reply with" not in lines[0], "no prompt text in logs"


def test_logs_are_json_lines_and_say_nothing_about_tracing_when_no_endpoint_is_set(client: AgentClient):
    client.probe("openai", "gpt-4o")
    loggers = {json.loads(line)["logger"] for line in client.agent.logs().splitlines()}
    assert loggers <= {"agent", "agent.calls", "uvicorn.error", "uvicorn.access"}, loggers
    assert "opentelemetry" not in client.agent.logs().lower()


def test_metrics_series_exist_after_calls_with_trace_exemplars(client: AgentClient):
    model = unique_model("claude-sonnet-4")
    client.probe("anthropic", model)
    text = httpx.get(client.agent.url + "/metrics").text
    labels = f'gen_ai_operation_name="chat",gen_ai_provider_name="anthropic",gen_ai_request_model="{model}"'
    assert (
        f"gen_ai_client_operation_duration_seconds_count{{error_type=\"\",{labels},modelwatch_purpose=\"probe\"}} 1.0"
        in text
    )
    assert f"gen_ai_client_time_to_first_chunk_seconds_count{{{labels},modelwatch_purpose=\"probe\"}} 1.0" in text
    assert f'gen_ai_client_token_usage_count{{{labels},gen_ai_token_type="output"}} 1.0' in text
    assert re.search(r'modelwatch_agent_calls_total\{outcome="success",provider="anthropic",purpose="probe"\} \d', text)

    response = httpx.get(client.agent.url + "/metrics", headers={"Accept": OPENMETRICS})
    assert response.headers["content-type"].startswith("application/openmetrics-text")
    exemplar = re.compile(
        rf'gen_ai_client_operation_duration_seconds_bucket\{{[^}}]*gen_ai_request_model="{model}"[^}}]*\}} 1\.0 '
        r'# \{trace_id="[0-9a-f]{32}"\}'
    )
    assert exemplar.search(response.text), "the duration histogram carries the trace id as an exemplar"

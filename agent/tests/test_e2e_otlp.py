"""The real agent process exports its spans over OTLP/HTTP, continues the caller's trace, and flushes on SIGTERM."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from agent.tests.agent_client import AUTHORIZATION, CANARY_KEY, KEY_VARIABLE
from tests.support.otlp import OtlpReceiver
from tests.support.stack import start_agent

pytestmark = pytest.mark.timeout(60)
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


@pytest.fixture
def receiver() -> Iterator[OtlpReceiver]:
    with OtlpReceiver() as running:
        yield running


@pytest.mark.parametrize("workers", ["1", "2"])
def test_spans_reach_the_collector_in_the_callers_trace(
    receiver: OtlpReceiver, agent_config: Path, tmp_path: Path, workers: str
):
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url, "AGENT_WORKERS": workers, KEY_VARIABLE: CANARY_KEY}
    agent = start_agent(tmp_path, agent_config, **env)
    try:
        body = {"modelId": "anthropic:claude-sonnet-4", "provider": "anthropic", "model": "claude-sonnet-4"}
        headers = {"traceparent": f"00-{TRACE_ID}-00f067aa0ba902b7-01", **AUTHORIZATION}
        result = httpx.post(agent.url + "/v1/probe", json=body, headers=headers, timeout=10).json()
        assert result["outcome"] == "success"
    finally:
        agent.stop()  # SIGTERM: the batch processor (of the worker that served the call) must flush first
    assert agent.process.returncode in (0, -15)
    assert set(receiver.paths()) == {"/v1/traces"}
    spans = receiver.spans()
    chat = [span for span in spans if span["name"] == "chat claude-sonnet-4"]
    assert len(chat) == 1, [span["name"] for span in spans]
    assert chat[0]["trace_id"] == TRACE_ID
    assert chat[0]["service"] == "modelwatch-agent"
    assert CANARY_KEY.encode() not in b"".join(receiver.bodies())
    assert '"stopped"' in agent.logs()

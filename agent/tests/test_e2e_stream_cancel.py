"""When the service hangs up on a streamed interview mid-answer (another model won the hedge), the agent
closes the provider's connection at once, so the abandoned answer stops costing tokens (call_stream.py).
The simulator is the witness: it counts a request as `cancelled` when its client hangs up before the end."""

from __future__ import annotations

import json

import httpx
import pytest

from agent.tests.agent_client import AUTHORIZATION, AgentClient, unique_model
from tests.support.waiting import wait_until

pytestmark = pytest.mark.timeout(60)
SDK_PATHS = [("openai", "gpt-4o"), ("anthropic", "claude-sonnet-4")]


@pytest.mark.parametrize(("kind", "model"), SDK_PATHS, ids=[kind for kind, _ in SDK_PATHS])
def test_when_the_caller_hangs_up_mid_stream_then_the_provider_connection_is_closed(
    client: AgentClient, kind: str, model: str
) -> None:
    model = unique_model(model)
    client.set_faults(model, ttftMs=0, latencyMs=20_000)  # streams for 20 s unless abandoned
    body = {"interviewId": "iv_cancel", "modelId": f"{kind}:{model}", "provider": kind, "model": model,
            "interview": {"role": "SRE"}, "timeoutMs": 30_000}  # fmt: skip
    url = client.agent.url + "/v1/interviews/stream"
    with httpx.stream("POST", url, json=body, headers=AUTHORIZATION, timeout=10.0) as response:
        first = json.loads(next(response.iter_lines()))
        assert first["event"] == "first_token", first
    # The caller hung up after the first token; the provider must see its client go well before 20 s.
    wait_until(
        "the simulator to see the agent hang up on the abandoned stream",
        lambda: client.simulator_stats(model).get("cancelled") == 1,
        timeout=5.0,
        describe=lambda: str(client.simulator_stats(model)),
    )
    # The pool is still good: the next call on the same client succeeds.
    assert client.probe(kind, unique_model("gpt-4o" if kind == "openai" else "claude-sonnet-4"))["outcome"] == "success"

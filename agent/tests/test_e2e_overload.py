"""Back-pressure (issue 15): beyond its call limits the agent answers 503 `overloaded` with Retry-After at
once, without calling the provider, and the agent's own wait is reported apart from the provider's latency.
Real agent and simulator; the simulator is made slow through its admin API so calls stay in flight."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from agent.settings import RETRY_AFTER_S
from agent.tests.agent_client import AUTHORIZATION, AgentClient, unique_model
from tests.support.processes import RunningProcess
from tests.support.stack import start_agent
from tests.support.waiting import wait_until

pytestmark = pytest.mark.timeout(90)
PER_MODEL = 2
OVERALL = 3
SLOW = {"latencyMs": 4000, "ttftMs": 3900, "jitterMs": 0}


@pytest.fixture
def limited_agent(agent_config: Path, tmp_path: Path) -> Iterator[RunningProcess]:
    env = {"AGENT_WORKERS": "1", "AGENT_MAX_CALLS": str(OVERALL), "AGENT_MAX_CALLS_PER_MODEL": str(PER_MODEL)}
    with start_agent(tmp_path, agent_config, **env) as running:
        yield running


def body(model: str) -> dict[str, Any]:
    return {"modelId": f"openai:{model}", "provider": "openai", "model": model, "timeoutMs": 10_000}


def in_flight(agent: RunningProcess) -> float:
    text = httpx.get(agent.url + "/metrics", timeout=5.0).text
    return next(float(line.split()[1]) for line in text.splitlines() if line.startswith("modelwatch_agent_calls_in"))


def test_when_the_limits_are_reached_then_calls_are_refused_at_once_with_retry_after(
    limited_agent: RunningProcess, client: AgentClient
):
    slow, other, third = unique_model("slow"), unique_model("other"), unique_model("third")
    for model in (slow, other, third):
        client.set_faults(model, **SLOW)
    http = httpx.Client(base_url=limited_agent.url, headers=AUTHORIZATION, timeout=30.0)
    with ThreadPoolExecutor(4) as pool:
        held: list[Future[httpx.Response]] = [pool.submit(http.post, "/v1/probe", json=body(slow)) for _ in range(2)]
        wait_until(f"{PER_MODEL} calls of {slow} in flight", lambda: in_flight(limited_agent) == PER_MODEL)

        refused = http.post("/v1/probe", json=body(slow))
        assert refused.status_code == 503
        assert refused.headers["retry-after"] == str(RETRY_AFTER_S)
        assert refused.json() == {
            "error": "overloaded", "limit": "model", "retryAfterS": RETRY_AFTER_S,
            "detail": f"this model already has {PER_MODEL} calls in flight; retry after {RETRY_AFTER_S} s",
        }  # fmt: skip

        # Another model still has room under the agent's limit; once that is full too, every model is refused.
        held.append(pool.submit(http.post, "/v1/probe", json=body(other)))
        wait_until(f"{OVERALL} calls in flight", lambda: in_flight(limited_agent) == OVERALL)
        stream_body = {**body(third), "interview": {}}
        refused_stream = http.post("/v1/interviews/stream", json=stream_body)
        assert refused_stream.status_code == 503 and refused_stream.json()["limit"] == "agent"
        assert "retry-after" in refused_stream.headers

        assert [f.result().json()["outcome"] for f in held] == ["success"] * 3
    # The refused calls never reached the provider: it saw only the admitted ones.
    assert client.simulator_stats(slow)["total"] == PER_MODEL
    assert client.simulator_stats(third)["total"] == 0
    metrics = httpx.get(limited_agent.url + "/metrics", timeout=5.0).text
    assert 'modelwatch_agent_calls_refused_total{limit="model",purpose="probe"} 1.0' in metrics
    assert 'modelwatch_agent_calls_refused_total{limit="agent",purpose="interview"} 1.0' in metrics
    # Slots are given back: the model takes calls again.
    client.set_faults(slow, latencyMs=20, ttftMs=10)
    assert http.post("/v1/probe", json=body(slow)).json()["outcome"] == "success"
    http.close()


def test_the_agents_own_wait_is_reported_as_queue_time_not_provider_latency(client: AgentClient):
    """latencyMs and ttftMs start when the request is sent to the provider; what the agent spent before
    that (here: a whole interview prompt to build and validate) is queueMs, and the three fit in the
    round trip the caller measured."""
    model = unique_model("queue")
    client.set_faults(model, latencyMs=300, ttftMs=200, jitterMs=0)
    started = time.perf_counter()
    result = client.probe("openai", model)
    round_trip_ms = (time.perf_counter() - started) * 1000
    assert result["queueMs"] is not None and result["queueMs"] >= 0
    assert 200 <= result["ttftMs"] <= result["latencyMs"]
    assert result["queueMs"] + result["latencyMs"] <= round_trip_ms


def test_hung_calls_of_one_model_do_not_delay_another_model_on_the_same_endpoint(
    limited_agent: RunningProcess, client: AgentClient
):
    """Issue 11's bulkhead, now given by admission: the provider's one connection pool holds as many
    connections as the agent admits calls, so a model at its per-model limit leaves connections free and
    a fallback to another model on the same endpoint is sent at once (a 2 s deadline, inside the hang)."""
    hung, fallback = unique_model("hung"), unique_model("fallback")
    client.set_faults(hung, **SLOW)
    client.set_faults(fallback, latencyMs=50, ttftMs=20, jitterMs=0)
    http = httpx.Client(base_url=limited_agent.url, headers=AUTHORIZATION, timeout=30.0)
    with ThreadPoolExecutor(PER_MODEL) as pool:
        held = [pool.submit(http.post, "/v1/probe", json=body(hung)) for _ in range(PER_MODEL)]
        wait_until(f"{PER_MODEL} calls of {hung} in flight", lambda: in_flight(limited_agent) == PER_MODEL)
        answer = http.post("/v1/probe", json={**body(fallback), "timeoutMs": 2000}).json()
        assert answer["outcome"] == "success"
        assert not any(future.done() for future in held), "the hung calls were still holding their connections"
        assert [future.result().json()["outcome"] for future in held] == ["success"] * PER_MODEL
    http.close()

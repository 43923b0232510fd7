"""A call whose caller hung up is dropped before any provider call (issue 14, item 5): SIGSTOP/SIGCONT.

The service ends the calls waiting on an agent that stopped answering its health check, so their starts
answer 503 at once. Those requests are already in the frozen agent's socket; when it resumes, it finds each
request and its closed connection together and must not pay a provider for an answer nobody reads. The
deadline is far off here, so only the hang-up can stop them; the simulator's request counters are the witness.
"""

from __future__ import annotations

import re
import signal
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from agent.tests.agent_client import AUTHORIZATION, AgentClient, unique_model
from tests.support.processes import RunningProcess
from tests.support.waiting import wait_until

pytestmark = pytest.mark.timeout(90)
ROUTES = ("/v1/probe", "/v1/interviews", "/v1/interviews/stream")


def _post(url: str, path: str, model: str, client_timeout_s: float) -> httpx.Response:
    body: dict[str, Any] = {"modelId": f"openai:{model}", "provider": "openai", "model": model}
    if path != "/v1/probe":
        body |= {"interviewId": "iv_gone", "interview": {"role": "SRE"}}
    # Wanted for a long while yet: only the hang-up says nobody waits for this call any more.
    body["deadlineAt"] = (time.time() + 60) * 1000
    return httpx.post(url + path, json=body, headers=AUTHORIZATION, timeout=client_timeout_s)


def _dropped(agent: RunningProcess, reason: str) -> float:
    text = httpx.get(agent.url + "/metrics", timeout=5).text
    pattern = rf'modelwatch_agent_calls_dropped_total{{[^}}]*reason="{reason}"[^}}]*}} ([0-9.]+)'
    return sum(float(m) for m in re.findall(pattern, text))


def test_when_the_caller_hung_up_while_the_agent_was_frozen_then_no_provider_is_called(
    own_agent: RunningProcess, client: AgentClient
) -> None:
    gone, wanted = unique_model("gpt-4o"), unique_model("gpt-4o")
    own_agent.process.send_signal(signal.SIGSTOP)
    try:
        with ThreadPoolExecutor(max_workers=len(ROUTES)) as pool:
            hung_up: list[Future[httpx.Response]] = [
                pool.submit(_post, own_agent.url, path, gone, 0.5) for path in ROUTES
            ]
            for future in hung_up:  # each client gave up and closed its connection while the agent was stopped
                with pytest.raises(httpx.TimeoutException):
                    future.result(timeout=30)
    finally:
        own_agent.process.send_signal(signal.SIGCONT)
    wait_until(
        "the resumed agent to drop the three calls whose callers hung up",
        lambda: _dropped(own_agent, "caller_gone") >= len(ROUTES),
        timeout=30,
        describe=lambda: httpx.get(own_agent.url + "/metrics", timeout=5).text[-3000:],
    )
    # The same agent still serves a caller who waits.
    served = _post(own_agent.url, "/v1/probe", wanted, 30)
    assert served.status_code == 200 and served.json()["outcome"] == "success", served.text
    assert client.simulator_stats(gone)["total"] == 0, "a provider was called for a caller that hung up"
    assert client.simulator_stats(wanted)["total"] == 1
    assert _dropped(own_agent, "caller_gone") == len(ROUTES)
    assert own_agent.logs().count("dropped: caller hung up") == len(ROUTES)

"""A frozen agent drops the work its caller gave up on (issue 14, item 5): SIGSTOP/SIGCONT of the real process.

Requests sent while the agent is stopped wait in its socket; when it resumes, those whose deadline has passed
must be answered 504 without a provider call, while those still wanted are served. The simulator's request
counters are the witness.
"""

from __future__ import annotations

import signal
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from agent.calls import ChatCall, DeadlinePassedError, within_deadline
from agent.schemas import Endpoint, ProviderKind
from agent.tests.agent_client import AUTHORIZATION, AgentClient, unique_model
from tests.support.processes import RunningProcess

pytestmark = pytest.mark.timeout(90)


def test_when_the_agent_resumes_then_work_past_its_deadline_is_dropped_before_any_provider_call(
    own_agent: RunningProcess, client: AgentClient
) -> None:
    abandoned, wanted = unique_model("gpt-4o"), unique_model("gpt-4o")

    def post(path: str, model: str, deadline_in_s: float) -> httpx.Response:
        deadline_at = (time.time() + deadline_in_s) * 1000
        body: dict[str, Any] = {"modelId": f"openai:{model}", "provider": "openai", "model": model}
        return httpx.post(own_agent.url + path, json={**body, "deadlineAt": deadline_at}, headers=AUTHORIZATION,
                          timeout=60)  # fmt: skip

    own_agent.process.send_signal(signal.SIGSTOP)
    try:
        with ThreadPoolExecutor(max_workers=3) as pool:
            late: list[Future[httpx.Response]] = [
                pool.submit(post, "/v1/probe", abandoned, 0.5),
                pool.submit(post, "/v1/interviews", abandoned, 0.5),
            ]
            in_time = pool.submit(post, "/v1/probe", wanted, 30)
            deadline_passed = time.time() + 1.0
            while time.time() < deadline_passed:  # the agent stays frozen past the first two deadlines
                time.sleep(0.05)
            own_agent.process.send_signal(signal.SIGCONT)
            answers = [future.result() for future in late]
            served = in_time.result()
    finally:
        own_agent.process.send_signal(signal.SIGCONT)
    assert [a.status_code for a in answers] == [504, 504], [a.text for a in answers]
    assert "deadline passed" in answers[0].json()["detail"]
    assert client.simulator_stats(abandoned)["total"] == 0, "a provider was called for abandoned work"
    assert served.status_code == 200 and served.json()["outcome"] == "success"
    assert client.simulator_stats(wanted)["total"] == 1
    assert own_agent.logs().count("dropped: deadline passed") == 2


def test_when_less_time_is_left_than_the_timeout_then_the_call_is_cut_to_the_deadline() -> None:
    endpoint = Endpoint(name="p", kind=ProviderKind.OPENAI, base_url="http://a.test/v1", api_key_env="K_API_KEY")
    call = ChatCall("probe", None, endpoint, "m", None, "hi", 1, timeout_s=10.0, deadline_at=1_000.0)
    assert within_deadline(call, now=lambda: 997.5).timeout_s == 2.5
    assert within_deadline(call, now=lambda: 900.0).timeout_s == 10.0
    assert within_deadline(ChatCall("probe", None, endpoint, "m", None, "hi", 1, 10.0), now=lambda: 5e9).timeout_s == 10
    with pytest.raises(DeadlinePassedError):
        within_deadline(call, now=lambda: 1_000.0)

"""The launcher example (examples/start_interview.py) against the three real processes: it honours
back-pressure's Retry-After, keeps one Idempotency-Key per interview, stops at its deadline and gives up
at once on an answer no retry can change."""

from __future__ import annotations

import re
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from examples.start_interview import InterviewNotStartedError, start_interview
from tests.support.stack import Stack, providers_file, service_config, start_agent, start_service, start_simulator
from tests.support.waiting import wait_until

pytestmark = pytest.mark.timeout(90)
MINI = "openai:gpt-4o-mini"
# One start of a model at a time, and a short Retry-After, so a held start makes the next one wait.
LIMITS = "interviews: { maxInFlightPerModel: 1, retryAfterSeconds: 1, deadlineSeconds: 10, attemptTimeoutSeconds: 8 }"
# Slow to finish, quick to start streaming: the held start keeps its slot without a hedged attempt.
HELD_S = 2.5
SLOW = {"latencyMs": int(HELD_S * 1000), "ttftMs": 20}


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        simulator = start_simulator(tmp_path)
        agent = start_agent(tmp_path, providers_file(tmp_path, simulator.url))
        service = start_service(tmp_path, agent.url, service_config(simulator.url, LIMITS))
        running = Stack(simulator, agent, service)
        try:
            wait_until("readiness", lambda: httpx.get(f"{service.url}/readyz").status_code == 200, timeout=30)
            httpx.post(f"{service.url}/v1/probes", json={"models": [MINI]}, timeout=30).raise_for_status()
            httpx.put(f"{simulator.url}/admin/models/gpt-4o-mini", json=SLOW, timeout=5).raise_for_status()
            yield running
        finally:
            running.stop()


def starts_of(stack: Stack, model: str) -> float:
    text = httpx.get(f"{stack.service.url}/metrics", timeout=10).text
    pattern = rf'^modelwatch_interview_starts_total{{[^}}]*requested_model="{re.escape(model)}"[^}}]*}} (\S+)$'
    return sum(float(v) for v in re.findall(pattern, text, re.MULTILINE))


def in_flight(stack: Stack) -> float:
    text = httpx.get(f"{stack.service.url}/metrics", timeout=10).text
    found = re.search(r"^modelwatch_interview_starts_in_flight (\S+)$", text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def hold_a_start(stack: Stack) -> threading.Thread:
    """A start of the slow model on another thread, waited on until it holds the model's one slot."""
    held = threading.Thread(
        target=lambda: httpx.post(f"{stack.service.url}/v1/interviews", json={"primary": MINI}, timeout=30)
    )
    held.start()
    wait_until("the held start in flight", lambda: in_flight(stack) == 1, timeout=10)
    return held


class RecordedSleep:
    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        time.sleep(seconds)


def test_a_refused_start_is_retried_after_retry_after_with_its_key_and_starts_once(stack):
    before = starts_of(stack, MINI)
    held = hold_a_start(stack)
    sleep = RecordedSleep()
    started = start_interview(stack.service.url, {"primary": MINI}, deadline_s=15, sleep=sleep)
    held.join()
    assert started.interview["model"] == MINI
    assert started.refusals[0] == "model_limit"
    assert started.tries == len(started.refusals) + 1 >= 2
    # Each wait is the service's Retry-After (1 s), stretched by at most half at random.
    assert all(1.0 <= w <= 1.5 for w in sleep.waits), sleep.waits
    # Refusals start nothing: the held start and this one, and the key replays the same interview.
    assert starts_of(stack, MINI) == before + 2
    again = start_interview(stack.service.url, {"primary": MINI}, idempotency_key=started.idempotency_key)
    assert (again.tries, again.interview["interviewId"]) == (1, started.interview["interviewId"])


def test_a_start_still_refused_at_the_deadline_is_given_up_without_waiting_past_it(stack):
    held = hold_a_start(stack)
    sleep = RecordedSleep()
    with pytest.raises(InterviewNotStartedError) as refused:
        start_interview(stack.service.url, {"primary": MINI}, deadline_s=1.2, sleep=sleep)
    held.join()
    assert refused.value.status == 503
    assert refused.value.error["code"] == "overloaded"
    assert sum(sleep.waits) < 1.2


def test_an_answer_no_retry_can_change_is_raised_at_once_with_the_field(stack):
    sleep = RecordedSleep()
    with pytest.raises(InterviewNotStartedError) as refused:
        start_interview(stack.service.url, {"primary": MINI, "fallbacks": "not-a-list"}, sleep=sleep)
    assert (refused.value.status, refused.value.tries, sleep.waits) == (400, 1, [])
    assert "fallbacks" in str(refused.value.error["details"])

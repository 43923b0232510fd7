"""Several worker processes (AGENT_WORKERS) on one port: the metrics count every call whichever worker made
it, and SIGTERM stops them all and removes the shared metrics directory. Real agent, real simulator."""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from agent.tests.agent_client import AUTHORIZATION, unique_model
from tests.support.processes import RunningProcess
from tests.support.stack import start_agent
from tests.support.waiting import wait_until

pytestmark = pytest.mark.timeout(120)
WORKERS = 2
BATCH = 8


@pytest.fixture
def workers_agent(agent_config: Path, tmp_path: Path) -> Iterator[RunningProcess]:
    with start_agent(tmp_path, agent_config, AGENT_WORKERS=str(WORKERS)) as running:
        yield running


def metrics_dir(agent: RunningProcess) -> Path:
    entry = next(e for e in agent.log_entries() if e.get("message") == "starting workers")
    return Path(entry["metrics_dir"])


def workers_that_made_calls(agent: RunningProcess) -> set[str]:
    """Each worker writes its counters to counter_<pid>.db once it has counted a call."""
    return {path.stem.split("_", 1)[1] for path in metrics_dir(agent).glob("counter_*.db")}


def probe_batch(agent: RunningProcess, model: str) -> int:
    """BATCH probes at once, each on a connection of its own so the kernel may hand them to any worker."""

    def one(_: int) -> int:
        body = {"modelId": f"openai:{model}", "provider": "openai", "model": model, "timeoutMs": 5000}
        with httpx.Client(base_url=agent.url, headers=AUTHORIZATION, timeout=10.0) as http:
            response = http.post("/v1/probe", json=body)
        assert response.status_code == 200 and response.json()["outcome"] == "success", response.text
        return 1

    with ThreadPoolExecutor(BATCH) as pool:
        return sum(pool.map(one, range(BATCH)))


def sample(text: str, name: str, **labels: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_when_calls_are_spread_over_workers_then_the_metrics_count_every_call(workers_agent: RunningProcess):
    model = unique_model("workers")
    children = Path(f"/proc/{workers_agent.pid}/task/{workers_agent.pid}/children").read_text().split()
    assert len(children) >= WORKERS, "the agent runs its workers as child processes"
    sent = 0

    def spread() -> bool:
        nonlocal sent
        sent += probe_batch(workers_agent, model)
        return len(workers_that_made_calls(workers_agent)) >= 2

    wait_until("calls to have been served by two workers", spread, timeout=60, every=0.0)
    # Every scrape may land on either worker; each must report the calls of all of them.
    for _ in range(4):
        text = httpx.get(workers_agent.url + "/metrics", timeout=5.0).text
        assert sample(text, "modelwatch_agent_calls_total", purpose="probe", outcome="success") == sent
        count = "gen_ai_client_operation_duration_seconds_count"
        assert sample(text, count, gen_ai_request_model=model) == sent
        assert sample(text, "modelwatch_agent_queue_seconds_count", purpose="probe") == sent
        assert sample(text, "modelwatch_agent_calls_in_flight") == 0


def test_when_stopped_then_every_worker_ends_and_the_metrics_directory_is_removed(workers_agent: RunningProcess):
    directory = metrics_dir(workers_agent)
    assert directory.is_dir()
    workers_agent.stop()
    assert workers_agent.process.returncode is not None
    assert not directory.exists(), "the next start must not add to this run's counts"
    messages = [e.get("message") for e in workers_agent.log_entries()]
    assert messages.count("worker stopped") == WORKERS, messages
    assert not any(re.search(r"Traceback", str(m)) for m in messages)

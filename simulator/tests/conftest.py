"""Fixtures: one simulator process for the session, reset before each test that uses it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anthropic
import httpx
import openai
import pytest

from tests.support.processes import RunningProcess
from tests.support.stack import start_simulator

CLIENT_TIMEOUT_S = 5.0


class Admin:
    """A thin client for the admin API, so tests read as "set model x to ..."."""

    def __init__(self, url: str) -> None:
        self.http = httpx.Client(base_url=url, timeout=5)

    def set(self, model: str, **patch: Any) -> dict[str, Any]:
        response = self.http.put(f"/admin/models/{model}", json=patch)
        assert response.status_code == 200, response.text
        return response.json()

    def get(self, path: str) -> Any:
        response = self.http.get(path)
        assert response.status_code == 200, response.text
        return response.json()

    def reset(self) -> None:
        assert self.http.post("/admin/reset").status_code == 200


# Clients are built once per session: building one costs tens of milliseconds (TLS context),
# which would dominate a suite of short tests. The per-test fixtures only reset the simulator.


@pytest.fixture(scope="session")
def sim_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningProcess]:
    with start_simulator(tmp_path_factory.mktemp("sim")) as process:
        yield process


@pytest.fixture(scope="session")
def session_admin(sim_process: RunningProcess) -> Iterator[Admin]:
    client = Admin(sim_process.url)
    yield client
    client.http.close()


@pytest.fixture(scope="session")
def session_openai(sim_process: RunningProcess) -> Iterator[openai.OpenAI]:
    client = openai.OpenAI(base_url=f"{sim_process.url}/v1", api_key="sim-key", max_retries=0, timeout=CLIENT_TIMEOUT_S)
    yield client
    client.close()


@pytest.fixture(scope="session")
def session_anthropic(sim_process: RunningProcess) -> Iterator[anthropic.Anthropic]:
    client = anthropic.Anthropic(base_url=sim_process.url, api_key="sim-key", max_retries=0, timeout=CLIENT_TIMEOUT_S)
    yield client
    client.close()


@pytest.fixture()
def sim(sim_process: RunningProcess, session_admin: Admin) -> RunningProcess:
    """The shared simulator, reset: no faults, no stats, from a previous test."""
    session_admin.reset()
    return sim_process


@pytest.fixture()
def admin(sim: RunningProcess, session_admin: Admin) -> Admin:
    return session_admin


@pytest.fixture()
def oai(sim: RunningProcess, session_openai: openai.OpenAI) -> openai.OpenAI:
    return session_openai


@pytest.fixture()
def ant(sim: RunningProcess, session_anthropic: anthropic.Anthropic) -> anthropic.Anthropic:
    return session_anthropic

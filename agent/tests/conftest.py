"""Session fixtures: one real simulator and one real agent, shared by the end-to-end tests.

Each test uses its own model names (the simulator accepts any), so faults set by one test never reach
another and no test depends on order or on a reset.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.tests.agent_client import (
    CANARY_KEY,
    KEY_VARIABLE,
    AgentClient,
    closed_port_socket,
    write_providers,
)
from tests.support.processes import RunningProcess
from tests.support.stack import start_agent, start_simulator


@pytest.fixture(scope="session")
def simulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningProcess]:
    with start_simulator(tmp_path_factory.mktemp("simulator")) as running:
        yield running


@pytest.fixture(scope="session")
def closed_port() -> Iterator[int]:
    with closed_port_socket() as bound:
        yield bound.getsockname()[1]


@pytest.fixture(scope="session")
def agent_config(tmp_path_factory: pytest.TempPathFactory, simulator: RunningProcess, closed_port: int) -> Path:
    return write_providers(tmp_path_factory.mktemp("config") / "providers.yaml", simulator.url, closed_port)


@pytest.fixture(scope="session")
def agent(tmp_path_factory: pytest.TempPathFactory, agent_config: Path) -> Iterator[RunningProcess]:
    # DEBUG on purpose: the canary test proves that even the most verbose logs never carry the key.
    log_dir = tmp_path_factory.mktemp("agent")
    with start_agent(log_dir, agent_config, LOG_LEVEL="DEBUG", **{KEY_VARIABLE: CANARY_KEY}) as running:
        yield running


@pytest.fixture
def own_agent(agent_config: Path, tmp_path: Path) -> Iterator[RunningProcess]:
    """An agent of its own, for a test that stops it (SIGSTOP) while the session's agent serves the others."""
    running = start_agent(tmp_path, agent_config)
    yield running
    running.process.send_signal(signal.SIGCONT)
    running.stop()


@pytest.fixture(scope="session")
def client(agent: RunningProcess, simulator: RunningProcess) -> Iterator[AgentClient]:
    agent_client = AgentClient(agent, simulator)
    yield agent_client
    agent_client.http.close()

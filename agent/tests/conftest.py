"""Session fixtures: one real simulator and one real agent, shared by the end-to-end tests.

Each test uses its own model names (the simulator accepts any), so faults set by one test never reach
another and no test depends on order or on a reset.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.tests.agent_client import (
    CANARY_KEY,
    KEY_VARIABLE,
    AgentClient,
    agent_env,
    closed_port_socket,
    write_providers,
)
from agent.tests.processes import RunningProcess, base_env, start_module


@pytest.fixture(scope="session")
def simulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningProcess]:
    log_path = tmp_path_factory.mktemp("simulator") / "simulator.log"
    running = start_module("simulator", base_env(SIMULATOR_PORT="0", SCENARIO="none", LOG_LEVEL="info"), log_path)
    yield running
    running.stop()


@pytest.fixture(scope="session")
def closed_port() -> Iterator[int]:
    with closed_port_socket() as bound:
        yield bound.getsockname()[1]


@pytest.fixture(scope="session")
def agent_config(tmp_path_factory: pytest.TempPathFactory, simulator: RunningProcess, closed_port: int) -> Path:
    return write_providers(tmp_path_factory.mktemp("config") / "providers.yaml", simulator.base_url, closed_port)


@pytest.fixture(scope="session")
def agent(tmp_path_factory: pytest.TempPathFactory, agent_config: Path) -> Iterator[RunningProcess]:
    log_path = tmp_path_factory.mktemp("agent") / "agent.log"
    # DEBUG on purpose: the canary test proves that even the most verbose logs never carry the key.
    env = agent_env(agent_config, LOG_LEVEL="DEBUG", **{KEY_VARIABLE: CANARY_KEY})
    running = start_module("agent", env, log_path)
    yield running
    running.stop()


@pytest.fixture(scope="session")
def client(agent: RunningProcess, simulator: RunningProcess) -> Iterator[AgentClient]:
    agent_client = AgentClient(agent, simulator)
    yield agent_client
    agent_client.http.close()

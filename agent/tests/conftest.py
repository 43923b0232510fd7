"""Session fixtures: one real simulator and one real agent, shared by the end-to-end tests.

Each test uses its own model names (the simulator accepts any), so faults set by one test never reach
another and no test depends on order or on a reset.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from agent.tests.agent_client import CANARY_KEY, KEY_VARIABLE, AgentClient
from agent.tests.processes import RunningProcess, base_env, start_module


@pytest.fixture(scope="session")
def simulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningProcess]:
    log_path = tmp_path_factory.mktemp("simulator") / "simulator.log"
    running = start_module("simulator", base_env(SIMULATOR_PORT="0", SCENARIO="none", LOG_LEVEL="info"), log_path)
    yield running
    running.stop()


@pytest.fixture(scope="session")
def agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningProcess]:
    log_path = tmp_path_factory.mktemp("agent") / "agent.log"
    # DEBUG on purpose: the canary test proves that even the most verbose logs never carry the key.
    env = base_env(AGENT_PORT="0", LOG_LEVEL="DEBUG", **{KEY_VARIABLE: CANARY_KEY})
    running = start_module("agent", env, log_path)
    yield running
    running.stop()


@pytest.fixture(scope="session")
def client(agent: RunningProcess, simulator: RunningProcess) -> Iterator[AgentClient]:
    agent_client = AgentClient(agent, simulator)
    yield agent_client
    agent_client.http.close()

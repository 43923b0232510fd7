"""The simulator, the agent and the service as the bench runs them, through the launcher the bench shares
with the tests (tests/support/processes.py), each with its log in a file of the run's work directory."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

# The bench runs as scripts (sys.path[0] is bench/); the launcher it shares with the tests is in a
# package at the repository root.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.processes import REPO_ROOT as REPO
from tests.support.processes import RunningProcess, base_env, free_port, python_module, service_argv, start_process

SERVICE_MAIN = REPO / "service" / "dist" / "main.js"
# The shared secret between service and agent for benchmark runs (the agent refuses calls without it).
AGENT_TOKEN = "bench-agent-token-" + os.urandom(8).hex()
DEMO_CONFIG = REPO / "config" / "demo.yaml"


def simulator(work: Path, log_level: str = "warning") -> RunningProcess:
    # warning: the simulator is the test double, its per-request log lines are not what we measure. At
    # that level it does not log the port it bound either, so it gets a free port instead of port 0.
    port = free_port()
    env = base_env(SIMULATOR_PORT=str(port), SCENARIO="none", LOG_LEVEL=log_level)
    url = f"http://127.0.0.1:{port}"
    return start_process("simulator", python_module("simulator"), work / "simulator.log", env=env, url=url)


def agent(
    work: Path,
    sim_port: int,
    port: int | None = None,
    config: Path = DEMO_CONFIG,
    root: Path = REPO,
    **settings: str,
) -> RunningProcess:
    """The agent on the providers of `config` (the simulator at `sim_port`), as the benchmarked service; on
    `port` when given (a restart, so the service's AGENT_URL still points at it); `root` runs the agent code
    of another checkout (a base worktree, for a comparison); `settings` are extra AGENT_* variables (e.g.
    AGENT_WORKERS)."""
    env = base_env(
        AGENT_PORT=str(port or 0), SIMULATOR_API_KEY="sim-key", LOG_LEVEL="INFO", CONFIG=str(config),
        SIMULATOR_PORT=str(sim_port), MODELWATCH_AGENT_TOKEN=AGENT_TOKEN, **settings,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}" if port else None
    log = work / ("agent-restarted.log" if port else "agent.log")
    return start_process("agent", python_module("agent"), log, env=env, url=url, cwd=root)


def service(
    work: Path,
    agent_url: str,
    config: Path,
    data_dir: Path,
    *,
    sim_port: int,
    node_args: list[str] | None = None,
    port: int | None = None,
    main: Path = SERVICE_MAIN,
) -> RunningProcess:
    """The built service with its data in `data_dir` (which also names its log); on `port` when given (a restart);
    `main` runs another build (a base worktree's dist/main.js) or the floor server (bench/floor_server.mjs)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    env = base_env(
        SERVICE_PORT=str(port or 0),
        AGENT_URL=agent_url,
        CONFIG=str(config),
        DATA_DIR=str(data_dir),
        LOG_LEVEL="info",
        SIMULATOR_PORT=str(sim_port),
        SIMULATOR_API_KEY="sim-key",
        MODELWATCH_AGENT_TOKEN=AGENT_TOKEN,
    )
    argv = service_argv(main, node_args or [])
    url = f"http://127.0.0.1:{port}" if port else None
    suffix = "-restarted" if port else ""
    return start_process("service", argv, work / f"service-{data_dir.name}{suffix}.log", env=env, url=url)


@dataclass
class Stack:
    """The three processes; `procs` is what the resource monitor watches."""

    sim: RunningProcess
    agent: RunningProcess
    service: RunningProcess | None = None
    extra: list[RunningProcess] = field(default_factory=list)

    @property
    def procs(self) -> list[RunningProcess]:
        return [p for p in (self.service, self.agent, self.sim) if p is not None]

    def stop(self) -> None:
        for p in [*self.extra, *self.procs]:
            p.stop()

"""The three real processes for cross-process tests: simulator and agent through the agent's test
helpers (port 0, logged port), the service as `node service/dist/main.js` on a free port."""

from __future__ import annotations

import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from agent.tests.agent_client import AGENT_TOKEN
from agent.tests.processes import REPO_ROOT, RunningProcess, base_env, start_module

SERVICE_MAIN = REPO_ROOT / "service" / "dist" / "main.js"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def service_config(simulator_url: str, extra: str = "") -> str:
    return f"""
providers:
  openai: {{ kind: openai, baseUrl: "{simulator_url}/v1", apiKeyEnv: SIMULATOR_API_KEY }}
  anthropic: {{ kind: anthropic, baseUrl: "{simulator_url}", apiKeyEnv: SIMULATOR_API_KEY }}
models:
  - {{ id: "openai:gpt-4o", tier: flagship, pricing: {{ inputPerMillion: 2.5, outputPerMillion: 10 }} }}
  - {{ id: "openai:gpt-4o-mini", tier: small }}
  - {{ id: "anthropic:claude-sonnet-4", tier: flagship }}
{extra}
"""


def start_simulator(tmp: Path, **env: str) -> RunningProcess:
    return start_module("simulator", base_env(SIMULATOR_PORT="0", SCENARIO="none", **env), tmp / "simulator.log")


def start_agent(tmp: Path, simulator_url: str, **env: str) -> RunningProcess:
    """The agent, configured with the providers of `service_config(simulator_url)`, as the service is."""
    config = tmp / "agent-config.yaml"
    config.write_text(service_config(simulator_url))
    agent_env = base_env(
        AGENT_PORT="0", CONFIG=str(config), MODELWATCH_AGENT_TOKEN=AGENT_TOKEN, SIMULATOR_API_KEY="sim-key", **env
    )
    return start_module("agent", agent_env, tmp / "agent.log")


def start_command(
    name: str,
    argv: list[str],
    log_path: Path,
    base_url: str,
    ready_path: str,
    *,
    env: dict[str, str] | None = None,
    cwd: Path = REPO_ROOT,
    timeout: float = 30.0,
) -> RunningProcess:
    """Runs a command with its output in a file and returns once `ready_path` answers 200, within a deadline."""
    with log_path.open("wb") as log:
        process = subprocess.Popen(argv, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
    running = RunningProcess(name, process, base_url, log_path)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}:\n{running.logs()}")
        try:
            if httpx.get(base_url + ready_path, timeout=1).status_code == 200:
                return running
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    running.stop()
    raise TimeoutError(f"{name} was not ready within {timeout} s:\n{running.logs()}")


def start_service(tmp: Path, agent_url: str, config_text: str, **env: str) -> RunningProcess:
    config = tmp / "service-config.yaml"
    config.write_text(config_text)
    port = free_port()
    full_env = base_env(
        SERVICE_PORT=str(port), AGENT_URL=agent_url, CONFIG=str(config), DATA_DIR=str(tmp / "data"),
        MODELWATCH_AGENT_TOKEN=AGENT_TOKEN, **env,
    )  # fmt: skip
    return start_command(
        "service",
        ["node", str(SERVICE_MAIN)],
        tmp / "service.log",
        f"http://127.0.0.1:{port}",
        "/healthz",
        env=full_env,
    )


@dataclass
class Stack:
    simulator: RunningProcess
    agent: RunningProcess
    service: RunningProcess

    def stop(self) -> None:
        for p in (self.service, self.agent, self.simulator):
            p.stop()


def wait_until(what: str, check, timeout: float = 20.0, every: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise TimeoutError(f"timed out after {timeout} s waiting for {what}")

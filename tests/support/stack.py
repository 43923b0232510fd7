"""The three Modelwatch processes as the cross-process suites start them: the simulator and the agent as
`python -m`, the service as `node service/dist/main.js`, each on port 0 through the shared launcher."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from tests.support.processes import REPO_ROOT, RunningProcess, base_env, python_module, service_argv, start_process

# MODELWATCH_SERVICE_MAIN runs the same tests against another build (e.g. one with a fix to try).
SERVICE_MAIN = Path(os.environ.get("MODELWATCH_SERVICE_MAIN") or REPO_ROOT / "service" / "dist" / "main.js")
# The shared secret between the service and the agent in every test run (MODELWATCH_AGENT_TOKEN).
AGENT_TOKEN = "agent-test-token-" + uuid.uuid4().hex


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


def start_simulator(log_dir: Path, **env: str) -> RunningProcess:
    """`python -m simulator` with no scenario; `env` adds to or overrides its settings."""
    full_env = base_env(**{"SIMULATOR_PORT": "0", "SCENARIO": "none", "LOG_LEVEL": "info", **env})
    return start_process("simulator", python_module("simulator"), log_dir / "simulator.log", env=full_env)


def providers_file(log_dir: Path, simulator_url: str) -> Path:
    """The agent's config file with the providers of `service_config(simulator_url)`, as the service has."""
    config = log_dir / "agent-config.yaml"
    config.write_text(service_config(simulator_url))
    return config


def start_agent(log_dir: Path, config: Path, **env: str) -> RunningProcess:
    """`python -m agent` reading its providers from `config`, holding the test token and the simulator's key
    in SIMULATOR_API_KEY; `env` adds to or overrides its settings."""
    full_env = base_env(**{
        "AGENT_PORT": "0", "CONFIG": str(config), "MODELWATCH_AGENT_TOKEN": AGENT_TOKEN,
        "SIMULATOR_API_KEY": "sim-key", **env,
    })  # fmt: skip
    return start_process("agent", python_module("agent"), log_dir / "agent.log", env=full_env)


def start_service(log_dir: Path, agent_url: str, config_text: str, **env: str) -> RunningProcess:
    """The built service with `config_text` as its config file and its data in `log_dir/data`."""
    config = log_dir / "service-config.yaml"
    config.write_text(config_text)
    full_env = base_env(
        **{
            "SERVICE_PORT": "0", "AGENT_URL": agent_url, "CONFIG": str(config), "DATA_DIR": str(log_dir / "data"),
            "MODELWATCH_AGENT_TOKEN": AGENT_TOKEN, **env,
        }
    )  # fmt: skip
    return start_process("service", service_argv(SERVICE_MAIN, []), log_dir / "service.log", env=full_env)


@dataclass
class Stack:
    simulator: RunningProcess
    agent: RunningProcess
    service: RunningProcess

    def stop(self) -> None:
        for p in (self.service, self.agent, self.simulator):
            p.stop()

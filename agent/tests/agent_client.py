"""A client for the agent under test, and the simulator's admin API, as the end-to-end tests use them."""

from __future__ import annotations

import socket
import uuid
from pathlib import Path
from typing import Any

import httpx

from tests.support.processes import RunningProcess
from tests.support.stack import AGENT_TOKEN

# Not shaped like a provider key, so only the agent's exact-value scrubbing can hide it.
CANARY_KEY = "canary-" + uuid.uuid4().hex
KEY_VARIABLE = "SIMULATOR_API_KEY"
UNSET_KEY_VARIABLE = "MODELWATCH_TEST_UNSET_API_KEY"
AUTHORIZATION = {"Authorization": f"Bearer {AGENT_TOKEN}"}
# (endpoint kind, a model the simulator knows): every SDK path the agent has.
PROVIDERS = [("openai", "gpt-4o"), ("anthropic", "claude-sonnet-4"), ("openai_compatible", "llama-3")]
KINDS = [kind for kind, _ in PROVIDERS]


def write_providers(path: Path, simulator_url: str, closed_port: int) -> Path:
    """The agent's configuration for these tests: per kind, the simulator (named after the kind), a port
    nothing listens on (`{kind}-closed`) and a key variable that is never set (`{kind}-nokey`)."""

    def entry(name: str, kind: str, root: str, key: str) -> str:
        base_url = root + ("" if kind == "anthropic" else "/v1")
        return f'  {name}: {{ kind: {kind}, baseUrl: "{base_url}", apiKeyEnv: {key} }}\n'

    closed = f"http://127.0.0.1:{closed_port}"
    lines = ["providers:\n"]
    for kind in KINDS:
        lines += [entry(kind, kind, simulator_url, KEY_VARIABLE), entry(f"{kind}-closed", kind, closed, KEY_VARIABLE)]
        lines.append(entry(f"{kind}-nokey", kind, simulator_url, UNSET_KEY_VARIABLE))
    path.write_text("".join(lines), encoding="utf-8")
    return path


def closed_port_socket() -> socket.socket:
    """A socket bound but never listening: connections to its port are refused while it is open."""
    bound = socket.socket()
    bound.bind(("127.0.0.1", 0))
    return bound


class AgentClient:
    """Calls the agent over HTTP and keeps every response body, for the test that looks for the key."""

    def __init__(self, agent: RunningProcess, simulator: RunningProcess) -> None:
        self.agent = agent
        self.simulator = simulator
        self.http = httpx.Client(base_url=agent.url, timeout=30.0, headers=AUTHORIZATION)
        self.bodies: list[str] = []

    def post(self, path: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> httpx.Response:
        response = self.http.post(path, json=body, headers=headers)
        self.bodies.append(response.text)
        return response

    def probe(self, kind: str, model: str, **fields: Any) -> dict[str, Any]:
        """A probe through the configured provider named `kind` unless `provider` says another."""
        body = {"modelId": f"{kind}:{model}", "provider": kind, "model": model, "timeoutMs": 5000, **fields}
        response = self.post("/v1/probe", body)
        assert response.status_code == 200, response.text
        return response.json()

    def interview(self, kind: str, model: str, interview: dict[str, Any], **fields: Any) -> dict[str, Any]:
        body = {
            "interviewId": "iv_test", "modelId": f"{kind}:{model}", "provider": kind,
            "model": model, "interview": interview, **fields,
        }  # fmt: skip
        response = self.post("/v1/interviews", body)
        assert response.status_code == 200, response.text
        return response.json()

    def set_faults(self, model: str, **settings: Any) -> None:
        response = httpx.put(f"{self.simulator.url}/admin/models/{model}", json=settings, timeout=5.0)
        assert response.status_code == 200, response.text

    def simulator_stats(self, model: str) -> dict[str, Any]:
        stats = httpx.get(f"{self.simulator.url}/admin/stats", timeout=5.0).json()
        return stats["models"].get(model, {"total": 0, "outcomes": {}})


def unique_model(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"

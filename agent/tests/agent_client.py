"""A client for the agent under test, and the simulator's admin API, as the end-to-end tests use them."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from agent.tests.processes import RunningProcess

# Not shaped like a provider key, so only the agent's exact-value scrubbing can hide it.
CANARY_KEY = "canary-" + uuid.uuid4().hex
KEY_VARIABLE = "SIMULATOR_API_KEY"
# (endpoint kind, a model the simulator knows): every SDK path the agent has.
PROVIDERS = [("openai", "gpt-4o"), ("anthropic", "claude-sonnet-4"), ("openai_compatible", "llama-3")]


class AgentClient:
    """Calls the agent over HTTP and keeps every response body, for the test that looks for the key."""

    def __init__(self, agent: RunningProcess, simulator: RunningProcess) -> None:
        self.agent = agent
        self.simulator = simulator
        self.http = httpx.Client(base_url=agent.base_url, timeout=30.0)
        self.bodies: list[str] = []

    def endpoint(self, kind: str, **overrides: Any) -> dict[str, Any]:
        base_url = self.simulator.base_url + ("/v1" if kind != "anthropic" else "")
        return {"name": kind, "kind": kind, "baseUrl": base_url, "apiKeyEnv": KEY_VARIABLE, **overrides}

    def post(self, path: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> httpx.Response:
        response = self.http.post(path, json=body, headers=headers)
        self.bodies.append(response.text)
        return response

    def probe(self, kind: str, model: str, **fields: Any) -> dict[str, Any]:
        endpoint = fields.pop("endpoint", None) or self.endpoint(kind)
        body = {"modelId": f"{kind}:{model}", "endpoint": endpoint, "model": model, "timeoutMs": 5000, **fields}
        response = self.post("/v1/probe", body)
        assert response.status_code == 200, response.text
        return response.json()

    def interview(self, kind: str, model: str, interview: dict[str, Any], **fields: Any) -> dict[str, Any]:
        body = {
            "interviewId": "iv_test",
            "modelId": f"{kind}:{model}",
            "endpoint": self.endpoint(kind),
            "model": model,
            "interview": interview,
            **fields,
        }
        response = self.post("/v1/interviews", body)
        assert response.status_code == 200, response.text
        return response.json()

    def set_faults(self, model: str, **settings: Any) -> None:
        response = httpx.put(f"{self.simulator.base_url}/admin/models/{model}", json=settings, timeout=5.0)
        assert response.status_code == 200, response.text

    def simulator_stats(self, model: str) -> dict[str, Any]:
        stats = httpx.get(f"{self.simulator.base_url}/admin/stats", timeout=5.0).json()
        return stats["models"].get(model, {"total": 0, "outcomes": {}})


def unique_model(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"

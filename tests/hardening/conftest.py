"""One real stack for the hardening tests: simulator, agent and service as processes, session-scoped.

The processes start through the shared launcher (tests/support/processes.py): port 0, output to files,
ready within a deadline, the process group stopped at the end. The stack is set up the way the secrets
test needs it and the others can live with: a canary API key in the agent's environment (the simulator
accepts any key), a canary MODELWATCH_API_TOKEN on the service, and OTLP export from both to the shared
test receiver (tests/support/otlp.py).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests.support.otlp import OtlpReceiver
from tests.support.processes import RunningProcess, base_env, python_module, start_process
from tests.support.stack import SERVICE_MAIN

KEY_VARIABLE = "MW_HARDENING_API_KEY"  # the agent's key variable for the simulator providers
UNSET_KEY_VARIABLE = "MW_HARDENING_UNSET_API_KEY"  # named by one provider, set nowhere: `auth` failures

MODELS = ("openai:gpt-4o", "openai:gpt-4o-mini", "anthropic:claude-sonnet-4", "nokey:gpt-4o")


@dataclass
class Stack:
    simulator: RunningProcess
    agent: RunningProcess
    service: RunningProcess
    receiver: OtlpReceiver
    canary_key: str
    token: str
    agent_token: str
    responses: list[httpx.Response] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.service.url

    def auth(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.token}"}

    def client(self, **kwargs: Any) -> httpx.Client:
        """An httpx client on the service that keeps every response for the leak checks."""
        return httpx.Client(base_url=self.url, timeout=30.0, event_hooks={"response": [self._keep]}, **kwargs)

    def _keep(self, response: httpx.Response) -> None:
        response.read()
        self.responses.append(response)

    def sim(self, model: str, **settings: Any) -> None:
        res = httpx.put(f"{self.simulator.url}/admin/models/{model}", json=settings, timeout=5)
        assert res.status_code == 200, res.text

    def sim_reset(self) -> None:
        assert httpx.post(f"{self.simulator.url}/admin/reset", timeout=5).status_code == 200


def config_text(simulator_url: str) -> str:
    return f"""
providers:
  openai: {{ kind: openai, baseUrl: "{simulator_url}/v1", apiKeyEnv: {KEY_VARIABLE} }}
  anthropic: {{ kind: anthropic, baseUrl: "{simulator_url}", apiKeyEnv: {KEY_VARIABLE} }}
  nokey: {{ kind: openai_compatible, baseUrl: "{simulator_url}/v1", apiKeyEnv: {UNSET_KEY_VARIABLE} }}
models:
  - {{ id: "openai:gpt-4o", tier: flagship, pricing: {{ inputPerMillion: 2.5, outputPerMillion: 10 }} }}
  - {{ id: "openai:gpt-4o-mini", tier: small }}
  - {{ id: "anthropic:claude-sonnet-4", tier: flagship }}
  - {{ id: "nokey:gpt-4o", tier: spare }}
probes: {{ intervalSeconds: 2, unhealthyIntervalSeconds: 2, jitterSeconds: 0, timeoutSeconds: 3 }}
interviews: {{ deadlineSeconds: 8, attemptTimeoutSeconds: 4 }}
"""


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if not SERVICE_MAIN.exists():
        pytest.fail("service/dist/main.js is missing: run `make build`")
    tmp = tmp_path_factory.mktemp("hardening")
    canary_key = f"sk-canary-{secrets.token_hex(12)}"
    token = f"mw-token-canary-{secrets.token_hex(12)}"
    agent_token = f"mw-agent-token-canary-{secrets.token_hex(12)}"
    receiver = OtlpReceiver()
    otel = {"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url, "OTEL_BSP_SCHEDULE_DELAY": "200"}
    started: list[RunningProcess] = []
    try:
        simulator = start_process(
            "simulator",
            python_module("simulator"),
            tmp / "simulator.log",
            env=base_env(SIMULATOR_PORT="0", SCENARIO="none", LOG_LEVEL="info"),
        )
        started.append(simulator)
        config = tmp / "config.yaml"
        config.write_text(config_text(simulator.url))
        agent = start_process(
            "agent",
            python_module("agent"),
            tmp / "agent.log",
            # DEBUG: the most verbose logs must not carry the key either.
            env=base_env(
                AGENT_PORT="0",
                LOG_LEVEL="DEBUG",
                OTEL_SERVICE_NAME="modelwatch-agent",
                CONFIG=str(config),
                MODELWATCH_AGENT_TOKEN=agent_token,
                **otel,
                **{KEY_VARIABLE: canary_key},
            ),
        )
        started.append(agent)
        service = start_process(
            "service",
            ["node", str(SERVICE_MAIN)],
            tmp / "service.log",
            env=base_env(
                SERVICE_PORT="0",
                AGENT_URL=agent.url,
                CONFIG=str(config),
                DATA_DIR=str(tmp / "data"),
                LOG_LEVEL="debug",
                MODELWATCH_API_TOKEN=token,
                MODELWATCH_AGENT_TOKEN=agent_token,
                SHUTDOWN_GRACE_SECONDS="2",
                OTEL_SERVICE_NAME="modelwatch-service",
                **otel,
            ),
        )
        started.append(service)
        yield Stack(simulator, agent, service, receiver, canary_key, token, agent_token)
    finally:
        for proc in reversed(started):
            proc.stop()
        receiver.close()


@pytest.fixture
def stack_reset(stack: Stack) -> Iterator[Stack]:
    """The stack with the simulator back to defaults before and after the test."""
    stack.sim_reset()
    yield stack
    stack.sim_reset()


def metric_series(text: str, prefix: str = "modelwatch_") -> set[str]:
    """The series (name and labels, no value) of a Prometheus text exposition that start with `prefix`."""
    series = set()
    for line in text.splitlines():
        if not line or line.startswith("#") or not line.startswith(prefix):
            continue
        name_and_labels = line.split("}", 1)[0] + "}" if "{" in line else line.split(" ", 1)[0]
        series.add(name_and_labels)
    return series


def assert_clear_4xx(
    res: httpx.Response, status: int | tuple[int, ...] | None = None, code: str | None = None
) -> dict[str, Any]:
    """A 4xx with the API's error shape {"error": {code, message, details}} and no stack trace."""
    what = f"{res.request.method} {str(res.request.url)[:120]} -> {res.status_code} {res.text[:300]!r}"
    if status is not None:
        assert res.status_code in ((status,) if isinstance(status, int) else status), what
    assert 400 <= res.status_code < 500, what
    assert res.headers.get("content-type", "").startswith("application/json"), what
    body = res.json()
    assert isinstance(body, dict) and set(body) == {"error"}, what
    error = body["error"]
    assert isinstance(error.get("code"), str) and error["code"], what
    assert isinstance(error.get("message"), str) and error["message"], what
    assert isinstance(error.get("details"), dict), what
    if code is not None:
        assert error["code"] == code, what
    assert "    at " not in res.text and ".js:" not in res.text and ".ts:" not in res.text, what
    return error

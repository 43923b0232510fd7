"""The running agent calls only the endpoints of its configuration, and only for the service (issue 14, item 1).

A listener on loopback stands for an attacker's server: whatever a request names, the key must never reach it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from agent.tests.agent_client import AUTHORIZATION, CANARY_KEY, KEY_VARIABLE, AgentClient, unique_model

pytestmark = pytest.mark.timeout(60)


class Listener(ThreadingHTTPServer):
    """Records every request that reaches it, headers included."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        super().__init__(("127.0.0.1", 0), _Record)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Record(BaseHTTPRequestHandler):
    server: Listener

    def do_POST(self) -> None:
        self.server.requests.append(f"{self.command} {self.path}\n{self.headers}")
        self.send_response(500)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_when_a_request_names_an_unconfigured_url_then_the_key_never_reaches_it(
    client: AgentClient, listener: Listener
) -> None:
    model = unique_model("gpt-4o")
    endpoint = {"name": "openai", "kind": "openai", "baseUrl": listener.url + "/v1", "apiKeyEnv": KEY_VARIABLE}
    attempts: list[dict[str, Any]] = [
        {"modelId": f"openai:{model}", "endpoint": endpoint, "model": model},  # the old, URL-carrying request
        {"modelId": f"openai:{model}", "provider": "openai", "endpoint": endpoint, "model": model},
        {"modelId": f"x:{model}", "provider": "attacker", "baseUrl": listener.url, "model": model},
    ]
    answers = [client.post(path, body) for body in attempts for path in ("/v1/probe", "/v1/interviews")]
    assert listener.requests == [], "the agent sent a request to an endpoint it was not configured with"
    assert [a.status_code for a in answers[-2:]] == [422, 422]
    assert answers[-1].json()["detail"][0]["loc"] == ["body", "provider"]
    assert "not configured" in answers[-1].json()["detail"][0]["msg"]
    # The extra field of the second request is ignored: the call went to the configured provider only.
    assert client.simulator_stats(model)["total"] == 2


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token-of-enough-length"},
        {"Authorization": AUTHORIZATION["Authorization"][:-1]},
    ],
    ids=["no token", "wrong token", "token prefix"],
)
def test_when_a_call_comes_without_the_service_token_then_it_is_refused_and_nothing_is_called(
    client: AgentClient, headers: dict[str, str]
) -> None:
    model = unique_model("gpt-4o")
    body = {"modelId": f"openai:{model}", "provider": "openai", "model": model}
    for path in ("/v1/probe", "/v1/interviews"):
        response = httpx.post(client.agent.url + path, json=body, headers=headers, timeout=10)
        assert response.status_code == 401, response.text
        assert CANARY_KEY not in response.text
    assert client.simulator_stats(model)["total"] == 0


@pytest.mark.parametrize("host", ["attacker.example", "attacker.example:8000", "127.0.0.1.nip.io", ""])
def test_when_the_host_header_is_not_the_agents_then_every_path_is_refused(client: AgentClient, host: str) -> None:
    model = unique_model("gpt-4o")
    body = {"modelId": f"openai:{model}", "provider": "openai", "model": model}
    call = httpx.post(client.agent.url + "/v1/probe", json=body, headers={**AUTHORIZATION, "Host": host})
    health = httpx.get(client.agent.url + "/healthz", headers={"Host": host})
    assert (call.status_code, health.status_code) == (400, 400)
    assert client.simulator_stats(model)["total"] == 0


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost:1234", "[::1]:8000", "LOCALHOST"])
def test_when_the_host_is_a_loopback_name_then_the_call_is_served(client: AgentClient, host: str) -> None:
    body = {"modelId": "openai:gpt-4o", "provider": "openai", "model": "gpt-4o"}
    call = httpx.post(client.agent.url + "/v1/probe", json=body, headers={**AUTHORIZATION, "Host": host})
    assert call.status_code == 200 and call.json()["outcome"] == "success"

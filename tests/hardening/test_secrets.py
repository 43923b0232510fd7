"""Secrets: a canary provider key in the agent's environment and a canary MODELWATCH_API_TOKEN on the
service must never show up in logs, API answers, /metrics, or the exported spans (raw bytes).

The stack exports spans from both processes to an in-test OTLP/HTTP receiver; the test first proves the
receiver got spans from both, so an exporter that sends nothing cannot make it pass.
"""

from __future__ import annotations

import base64
from urllib.parse import quote

import httpx
import pytest

from tests.hardening.conftest import MODELS, Stack
from tests.support.waiting import wait_until

pytestmark = pytest.mark.timeout(60)
RETRIED = (httpx.HTTPError, KeyError, ValueError)  # an answer without the fields looked for is "not yet"


def forms(secret: str) -> list[bytes]:
    """The secret as it could appear in text or bytes: plain, URL-encoded, base64, and its tail."""
    raw = secret.encode()
    return [raw, quote(secret, safe="").encode(), base64.b64encode(raw), base64.urlsafe_b64encode(raw), raw[-16:]]


def assert_absent(secret: str, where: str, data: bytes | str) -> None:
    blob = data.encode("utf-8", "replace") if isinstance(data, str) else data
    for form in forms(secret):
        assert form not in blob, f"the secret ({form[:12]!r}...) appears in {where}"


def request_body(res: httpx.Response) -> bytes:
    try:
        return res.request.content
    except httpx.RequestNotRead:  # a streamed (chunked) request body from another module
        return b""


def exercise(stack: Stack) -> None:
    """Probes and interview starts, successful and failing (401, 500, hang-free timeouts, unset key)."""
    with stack.client(headers=stack.auth()) as http:
        assert http.post("/v1/probes", json={}).status_code == 200
        assert http.post("/v1/interviews", json={"primary": "openai:gpt-4o"}).status_code == 201
        assert http.post("/v1/interviews", json={"primary": "anthropic:claude-sonnet-4"}).status_code == 201

        # The primary answers 401 at once: the start falls back to a model that still works.
        stack.sim("gpt-4o", errorRate=1, status=401)
        fell_back = http.post("/v1/interviews", json={"primary": "openai:gpt-4o", "fallbacks": ["openai:gpt-4o-mini"]})
        assert fell_back.status_code == 201, fell_back.text
        assert fell_back.json()["model"] == "openai:gpt-4o-mini"

        stack.sim("claude-sonnet-4", errorRate=1, status=401)
        stack.sim("gpt-4o-mini", errorRate=1, status=500)
        expected = {
            "openai:gpt-4o": "auth",
            "anthropic:claude-sonnet-4": "auth",
            "openai:gpt-4o-mini": "server_error",
            "nokey:gpt-4o": "auth",
        }

        def failing_probes() -> list[dict] | None:
            # A manual probe joins one already under way, which may have started before the change.
            results = http.post("/v1/probes", json={}).json()["results"]
            return results if {r["modelId"]: r.get("outcome") for r in results} == expected else None

        probes = wait_until("probes that see the failures", failing_probes, timeout=15, every=0.1, retry_on=RETRIED)
        assert "is not set" in next(r["errorMessage"] for r in probes if r["modelId"] == "nokey:gpt-4o")
        # Every model fails: a 503 that lists each attempt with its (scrubbed) error message.
        failed = http.post(
            "/v1/interviews",
            json={
                "primary": "openai:gpt-4o",
                "fallbacks": ["anthropic:claude-sonnet-4", "openai:gpt-4o-mini", "nokey:gpt-4o"],
            },
        )
        assert failed.status_code == 503, failed.text
        attempts = failed.json()["error"]["details"]["attempts"]
        assert attempts and {a["outcome"] for a in attempts} <= {"auth", "server_error"}, attempts
        for model in MODELS:
            assert http.get(f"/v1/health/{model}").status_code == 200
            assert http.get(f"/v1/health/{model}/history").status_code == 200
        assert http.get("/v1/fallbacks").status_code == 200
        assert http.get(f"/v1/fallbacks/{fell_back.json()['fallback']['eventId']}").status_code == 200
        # Error paths with the token in the request.
        http.post("/v1/interviews", content=b"{", headers={"content-type": "application/json"})
        http.post("/v1/interviews", json={"primary": stack.canary_key})
        http.get("/v1/nothing")


def test_the_canary_key_and_token_never_leave_the_processes(stack_reset: Stack) -> None:
    stack = stack_reset
    exercise(stack)

    def spans_from_both() -> bool:
        payloads = stack.receiver.bodies()
        return any(b"modelwatch-service" in p for p in payloads) and any(b"modelwatch-agent" in p for p in payloads)

    wait_until("spans from the service and the agent at the OTLP receiver", spans_from_both, timeout=15)
    # The failing calls' spans are there too (status ERROR with the scrubbed message): wait for the agent's auth spans.
    wait_until(
        "an agent span with outcome auth",
        lambda: any(b"auth" in p and b"chat gpt-4o" in p for p in stack.receiver.bodies()),
        timeout=15,
    )

    metrics = {
        "service /metrics": httpx.get(f"{stack.url}/metrics", timeout=10).text,
        "service /metrics (OpenMetrics)": httpx.get(
            f"{stack.url}/metrics", headers={"accept": "application/openmetrics-text"}, timeout=10
        ).text,
        "agent /metrics": httpx.get(f"{stack.agent.url}/metrics", timeout=10).text,
        "agent /metrics (OpenMetrics)": httpx.get(
            f"{stack.agent.url}/metrics", headers={"accept": "application/openmetrics-text"}, timeout=10
        ).text,
    }
    # The request that deliberately sent the key as a model id is the one place it may come back (echoed input).
    echoed = [r for r in stack.responses if stack.canary_key.encode() in request_body(r)]
    assert len(echoed) == 1
    # ...and it does come back there, which shows the search below would find a leak.
    assert stack.canary_key.encode() in echoed[0].content
    for secret, name in ((stack.canary_key, "API key"), (stack.token, "token"), (stack.agent_token, "agent token")):
        assert_absent(secret, "the service log", stack.service.log_bytes())
        assert_absent(secret, "the agent log", stack.agent.log_bytes())
        for where, text in metrics.items():
            assert_absent(secret, where, text)
        for i, payload in enumerate(stack.receiver.bodies()):
            assert_absent(secret, f"exported span payload #{i}", payload)
        for res in stack.responses:
            if res in echoed and name == "API key":
                continue
            where = f"the answer to {res.request.method} {res.request.url.path}"
            assert_absent(secret, where + " (body)", res.content)
            assert_absent(secret, where + " (headers)", str(list(res.headers.raw)))
    assert len(stack.responses) > 10
    # Sanity: the logs searched are the real ones, with the calls in them.
    assert "llm call" in stack.agent.logs()
    assert '"event":"fallback"' in stack.service.logs()

"""Access control on the real service process, with MODELWATCH_API_TOKEN set.

Writes and money-spending calls need `Authorization: Bearer <token>`; reads of health and fallbacks,
/metrics, /healthz and /readyz stay open. The token never shows up in the logs or in an answer.
"""

from __future__ import annotations

import base64

import httpx
import pytest

from tests.hardening.conftest import Stack, assert_clear_4xx

pytestmark = pytest.mark.timeout(60)

PROTECTED = [
    ("POST", "/v1/probes", {"models": ["openai:gpt-4o-mini"]}),
    ("PUT", "/v1/simulations/access-test", {"primary": "openai:gpt-4o", "fallbacks": ["openai:gpt-4o-mini"]}),
    ("DELETE", "/v1/simulations/access-test", None),
    ("POST", "/v1/interviews", {"primary": "openai:gpt-4o-mini"}),
    ("POST", "/v1/models/openai:gpt-4o-mini/drain", {"reason": "access test"}),
    ("POST", "/v1/models/openai:gpt-4o-mini/undrain", {}),
    ("POST", "/v1/admin/reload", None),
]


def wrong_credentials(token: str) -> dict[str, dict[str, str]]:
    return {
        "no header": {},
        "a wrong token": {"authorization": "Bearer not-the-token-0123456789"},
        "the token plus a character": {"authorization": f"Bearer {token}x"},
        "a prefix of the token": {"authorization": f"Bearer {token[:-1]}"},
        "the token without a scheme": {"authorization": token},
        "the token as Basic credentials": {"authorization": "Basic " + base64.b64encode(f":{token}".encode()).decode()},
        "a bare scheme": {"authorization": "Bearer"},
        "the token in another header": {"x-api-token": token},
    }


@pytest.mark.parametrize(("method", "path", "body"), PROTECTED, ids=[f"{m} {p}" for m, p, _ in PROTECTED])
def test_when_a_protected_route_gets_no_or_wrong_credentials_then_401(
    stack: Stack, method: str, path: str, body: object
) -> None:
    with stack.client() as http:
        for name, headers in wrong_credentials(stack.token).items():
            res = http.request(method, path, json=body, headers=headers)
            error = assert_clear_4xx(res, 401, "unauthorized")
            assert error["details"] == {"field": "authorization"}, name
            assert stack.token not in res.text, name
        # Nothing behind the guard ran: the simulation was not created.
        assert http.get("/v1/simulations/access-test").status_code == 404


def test_when_the_token_is_given_then_protected_routes_work(stack: Stack) -> None:
    with stack.client(headers=stack.auth()) as http:
        probed = http.post("/v1/probes", json={"models": ["openai:gpt-4o-mini"]})
        assert probed.status_code == 200, probed.text
        assert probed.json()["results"][0]["modelId"] == "openai:gpt-4o-mini"
        put = http.put(
            "/v1/simulations/access-test", json={"primary": "openai:gpt-4o", "fallbacks": ["openai:gpt-4o-mini"]}
        )
        assert put.status_code in (200, 201), put.text
        started = http.post("/v1/interviews", json={"simulationId": "access-test"})
        assert started.status_code == 201, started.text
        deleted = http.delete("/v1/simulations/access-test")
        assert deleted.status_code == 204, deleted.text
        assert http.get("/v1/simulations/access-test").status_code == 404


def test_when_the_scheme_is_written_in_another_case_then_the_token_is_still_accepted(stack: Stack) -> None:
    """RFC 9110 §11.1: the authentication scheme is a case-insensitive token ("bearer" = "Bearer")."""
    with stack.client() as http:
        for scheme in ("bearer", "BEARER"):
            res = http.post(
                "/v1/probes",
                json={"models": ["openai:gpt-4o-mini"]},
                headers={"authorization": f"{scheme} {stack.token}"},
            )
            assert res.status_code == 200, f"{scheme}: {res.status_code} {res.text[:200]}"


@pytest.mark.parametrize(
    "path",
    [
        "/v1/health",
        "/v1/health/openai:gpt-4o",
        "/v1/health/openai:gpt-4o/history",
        "/v1/fallbacks",
        "/v1/simulations",
        "/v1/models",
        "/v1/models/openai:gpt-4o",
        "/metrics",
        "/healthz",
        "/readyz",
        "/openapi.json",
    ],
)
def test_when_reads_come_without_a_token_then_they_are_open(stack: Stack, path: str) -> None:
    with stack.client() as http:
        res = http.get(path)
        assert res.status_code == 200, f"{path}: {res.status_code} {res.text[:300]}"
        # A wrong token on an open route is not an error either.
        assert http.get(path, headers={"authorization": "Bearer wrong-token-0123456789"}).status_code == 200


def test_when_an_interview_was_started_then_reading_it_needs_no_token(stack: Stack) -> None:
    with stack.client() as http:
        started = http.post("/v1/interviews", json={"primary": "openai:gpt-4o-mini"}, headers=stack.auth())
        assert started.status_code == 201, started.text
        res = http.get(f"/v1/interviews/{started.json()['interviewId']}")
        assert res.status_code == 200
        if started.json()["fallback"]:
            assert http.get(f"/v1/fallbacks/{started.json()['fallback']['eventId']}").status_code == 200


def test_the_token_is_never_logged_or_answered(stack: Stack) -> None:
    with stack.client() as http:
        # Both a right and a wrong use of the token, on success and on error paths.
        http.post("/v1/interviews", json={"primary": "openai:gpt-4o-mini"}, headers=stack.auth())
        http.post(
            "/v1/interviews", content=b'{"primary": ', headers={**stack.auth(), "content-type": "application/json"}
        )
        http.post("/v1/probes", json={}, headers={"authorization": f"Basic {stack.token}"})
        http.get("/v1/nothing-here", headers=stack.auth())
    assert stack.token not in stack.service.logs()
    assert stack.token not in stack.agent.logs()
    for res in stack.responses:
        assert stack.token not in res.text, res.request.url
        assert stack.token not in str(res.headers), res.request.url
    assert stack.token not in httpx.get(f"{stack.url}/metrics").text


def test_when_a_401_is_answered_then_it_names_the_scheme_in_www_authenticate(stack: Stack) -> None:
    """RFC 9110 §11.6.1: a 401 response MUST carry a WWW-Authenticate challenge (RFC 6750 §3: Bearer)."""
    with stack.client() as http:
        res = http.post("/v1/probes", json={})
        assert res.status_code == 401
        assert res.headers.get("www-authenticate", "").lower().startswith("bearer"), dict(res.headers)

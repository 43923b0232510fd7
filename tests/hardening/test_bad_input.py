"""Bad input against the real service process: every answer is a clear 4xx with the API's error shape,
and no request, however odd, adds a `modelwatch_*` series to /metrics (labels come only from the registry).
"""

from __future__ import annotations

import contextlib
import json
import random
import socket
import string
from collections.abc import Iterator
from urllib.parse import quote, urlsplit

import httpx
import pytest

from tests.hardening.conftest import Stack, assert_clear_4xx, metric_series

pytestmark = pytest.mark.timeout(60)

LIMIT = 65_536
RNG = random.Random(20261120)


def random_ids(n: int) -> list[str]:
    alphabet = string.ascii_letters + string.digits + ":-_./%~!$&'()*+,;=@ éü中文🙂"
    ids = ["".join(RNG.choice(alphabet) for _ in range(RNG.randint(1, 60))) for _ in range(n)]
    return [
        *ids,
        "openai:gpt-9",
        "openai:",
        ":gpt-4o",
        "OPENAI:GPT-4O",
        "openai:gpt-4o ",
        "openai:gpt-4o\u0000",
        "x" * 5000,
        "../../etc/passwd",
        "nokey:gpt-4o-mini",
    ]


@pytest.fixture(scope="module")
def http(stack: Stack) -> Iterator[httpx.Client]:
    with stack.client(headers=stack.auth()) as client:
        yield client


@pytest.fixture(scope="module", autouse=True)
def metrics_unchanged(stack: Stack) -> Iterator[None]:
    """The set of modelwatch_* series is the same after every bad request of this module."""
    before = metric_series(httpx.get(f"{stack.url}/metrics", timeout=10).text)
    assert len(before) > 50
    yield
    after = metric_series(httpx.get(f"{stack.url}/metrics", timeout=10).text)
    assert after - before == set(), f"new series: {sorted(after - before)[:20]}"
    assert before - after == set(), f"series gone: {sorted(before - after)[:20]}"


def test_unknown_and_random_model_ids_in_paths_get_404(http: httpx.Client) -> None:
    for model in random_ids(40):
        for path in (f"/v1/health/{quote(model, safe='')}", f"/v1/health/{quote(model, safe='')}/history"):
            res = http.get(path)
            assert_clear_4xx(res, (400, 404))


def test_unknown_and_random_model_ids_in_bodies_get_422_naming_the_field(http: httpx.Client) -> None:
    for model in random_ids(25):
        for method, path, body, field in (
            ("POST", "/v1/interviews", {"primary": model}, "primary"),
            (
                "POST",
                "/v1/interviews",
                {"primary": "openai:gpt-4o", "fallbacks": ["openai:gpt-4o-mini", model]},
                "fallbacks[1]",
            ),
            ("POST", "/v1/probes", {"models": [model]}, "models[0]"),
            ("PUT", "/v1/simulations/bad-input", {"primary": model}, "primary"),
        ):
            res = http.request(method, path, json=body)
            error = assert_clear_4xx(res, (400, 422))
            if res.status_code == 422:
                assert error["code"] == "unknown_model"
                assert error["details"]["field"] == field
                assert "openai:gpt-4o" in error["details"]["registered"]


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/v1/interviews"), ("POST", "/v1/probes"), ("PUT", "/v1/simulations/too-big")],
)
def test_bodies_over_64_kib_get_413(http: httpx.Client, method: str, path: str) -> None:
    big = {"primary": "openai:gpt-4o", "config": {"notes": "x" * (LIMIT + 10)}}
    res = http.request(method, path, json=big)
    error = assert_clear_4xx(res, 413, "payload_too_large")
    assert error["details"]["limit"] == LIMIT

    def chunks() -> Iterator[bytes]:  # no content-length: the limit must hold for a chunked body too
        yield b'{"primary": "openai:gpt-4o", "config": {"notes": "'
        for _ in range(20):
            yield b"y" * 8192
        yield b'"}}'

    res = http.request(method, path, content=chunks(), headers={"content-type": "application/json"})
    assert_clear_4xx(res, 413, "payload_too_large")


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/xml",
        "application/octet-stream",
        "json",
    ],
)
def test_wrong_content_types_get_415(http: httpx.Client, content_type: str) -> None:
    for method, path in (("POST", "/v1/interviews"), ("POST", "/v1/probes"), ("PUT", "/v1/simulations/ct")):
        res = http.request(
            method, path, content=b'{"primary": "openai:gpt-4o"}', headers={"content-type": content_type}
        )
        assert_clear_4xx(res, 415, "unsupported_media_type")


def test_a_body_without_a_content_type_gets_415(stack: Stack) -> None:
    head = b"POST /v1/interviews HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + stack.token.encode()
    raw = raw_request(
        stack, head + b"\r\nContent-Length: 28\r\nConnection: close\r\n\r\n" + b'{"primary": "openai:gpt-4o"}'
    )
    status, body = raw
    assert status == 415, raw
    assert json.loads(body)["error"]["code"] == "unsupported_media_type"


def test_an_unsupported_charset_gets_415(http: httpx.Client) -> None:
    res = http.post(
        "/v1/interviews",
        content=b'{"primary": "openai:gpt-4o"}',
        headers={"content-type": "application/json; charset=latin1"},
    )
    assert_clear_4xx(res, 415, "unsupported_media_type")


@pytest.mark.parametrize("depth", [20, 1_000, 20_000])
def test_deep_json_gets_400(http: httpx.Client, depth: int) -> None:
    nested_arrays = "[" * depth + "]" * depth
    nested_objects = '{"a":' * depth + "1" + "}" * depth
    for body in (
        f'{{"primary": "openai:gpt-4o", "config": {{"deep": {nested_arrays}}}}}',
        f'{{"primary": "openai:gpt-4o", "config": {nested_objects}}}',
        nested_arrays,
        nested_objects,
    ):
        if len(body) > LIMIT:
            continue
        for method, path in (("POST", "/v1/interviews"), ("PUT", "/v1/simulations/deep")):
            res = http.request(method, path, content=body.encode(), headers={"content-type": "application/json"})
            assert_clear_4xx(res, 400)


def test_malformed_json_gets_400(http: httpx.Client) -> None:
    for body in (
        b'{"primary": ',
        b"{'primary': 'x'}",
        b"nul",
        b'{"primary": "openai:gpt-4o"}}',
        b"\xef\xbb\xbf{}",
        b'"just a string"',
        b"[]",
        b"null",
        b"1e999",
    ):
        res = http.post("/v1/interviews", content=body, headers={"content-type": "application/json"})
        assert_clear_4xx(res, 400)


def test_invalid_utf8_in_a_body_gets_a_4xx(http: httpx.Client) -> None:
    for body in (
        b'{"primary": "\xff\xfe\xfd"}',
        b'{"primary": "openai:gpt-4o", "config": {"\xc3\x28": "\xa0\xa1"}}',
        b'{"\xed\xa0\x80": 1}',
    ):
        res = http.post("/v1/interviews", content=body, headers={"content-type": "application/json"})
        assert_clear_4xx(res)


def raw_request(stack: Stack, data: bytes) -> tuple[int, bytes]:
    """Sends bytes as they are (httpx would encode them) and returns the status and body."""
    parts = urlsplit(stack.url)
    chunks = []
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        # The server may answer and close before reading everything: read what it said.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(data)
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except ConnectionResetError:
            pass
    response = b"".join(chunks)
    if not response:
        return 0, b"(connection closed without an answer)"
    head, _, body = response.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    if b"transfer-encoding: chunked" in head.lower():
        body = dechunk(body)
    return status, body


def dechunk(body: bytes) -> bytes:
    out, rest = b"", body
    while rest:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out, rest = out + rest[:size], rest[size + 2 :]
    return out


def test_invalid_utf8_in_a_percent_encoded_path_gets_a_4xx(http: httpx.Client) -> None:
    for path in (
        "/v1/health/%FF%FE",
        "/v1/interviews/%C3%28",
        "/v1/fallbacks/%ED%A0%80",
        "/v1/simulations/%E0%80%AF",
        "/v1/health/%",
    ):
        assert_clear_4xx(http.get(path))


def assert_raw_clear_4xx(status: int, head_and_body: bytes) -> None:
    assert 400 <= status < 500, (status, head_and_body[:300])
    try:
        error = json.loads(head_and_body)["error"]
    except (ValueError, KeyError, TypeError):
        raise AssertionError(f"HTTP {status} without the API's JSON error body: {head_and_body[:300]!r}") from None
    assert set(error) == {"code", "message", "details"}, head_and_body[:300]


def test_raw_non_ascii_bytes_in_the_request_line_get_a_clear_4xx(stack: Stack) -> None:
    """Bytes Node's HTTP parser rejects before Express sees them: still the API's JSON error shape."""
    for raw_path in (b"/v1/health/\xff\xfe", b"/v1/simulations/\xc3\x28"):
        status, body = raw_request(stack, b"GET " + raw_path + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert_raw_clear_4xx(status, body)


def test_bad_query_strings_get_400_naming_the_parameter(http: httpx.Client) -> None:
    for query, field in (
        ("limit=0", "limit"), ("limit=501", "limit"), ("limit=abc", "limit"), ("limit=1e309", "limit"),
        ("limit=-1", "limit"),
        ("since=yesterday", "since"), ("until=2026-13-01T00:00:00Z", "until"), ("reason=bored", "reason"),
        ("simulationId=has%20space", "simulationId"), ("unknown=1", ""), ("model=a&model=b", "model"),
        ("cursor=" + "c" * 65, "cursor"), ("model=" + "m" * 201, "model"),
    ):  # fmt: skip
        error = assert_clear_4xx(http.get(f"/v1/fallbacks?{query}"), 400, "invalid_request")
        assert field in error["message"], (query, error)
    assert_clear_4xx(http.get("/v1/health/openai:gpt-4o/history?limit=0"), 400, "invalid_request")


def test_a_long_query_string_gets_400(http: httpx.Client) -> None:
    res = http.get("/v1/fallbacks?model=" + "a" * 8_000)
    assert_clear_4xx(res, 400, "invalid_request")
    many = "&".join(f"k{i}=v" for i in range(2_000))
    assert_clear_4xx(http.get(f"/v1/fallbacks?{many}"), 400)


def test_a_huge_query_string_gets_a_clear_4xx(stack: Stack) -> None:
    """Over Node's 16 KiB header limit: the answer must still be a 4xx in the API's error shape."""
    target = b"/v1/fallbacks?model=" + b"a" * 100_000
    status, body = raw_request(stack, b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert_raw_clear_4xx(status, body)


def test_bad_idempotency_keys_get_400(http: httpx.Client) -> None:
    for key in ("has space", "k" * 129, "ünï", "a/b", ""):
        res = http.post(
            "/v1/interviews", json={"primary": "openai:gpt-4o-mini"}, headers={b"idempotency-key": key.encode()}
        )
        if key == "":
            continue  # an empty header is the same as none for many clients
        error = assert_clear_4xx(res, 400, "invalid_request")
        assert error["details"]["field"] == "Idempotency-Key"


def test_unknown_routes_and_methods_get_404(http: httpx.Client) -> None:
    for method, path in (
        ("GET", "/v2/health"),
        ("PATCH", "/v1/interviews"),
        ("DELETE", "/v1/health"),
        ("POST", "/v1/health/openai:gpt-4o"),
        ("GET", "/v1/probes"),
    ):
        assert_clear_4xx(http.request(method, path), (404, 405))

"""Faults switched at run time, as the SDKs experience them: real exception classes, timing, hangs."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import anthropic
import httpx
import httpx2
import openai
import pytest
from anthropic.types import MessageParam
from openai.types.chat import ChatCompletionMessageParam

from tests.support.waiting import wait_until

pytestmark = pytest.mark.timeout(30)
OPENAI_USER: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Hello there"}]
ANTHROPIC_USER: list[MessageParam] = [{"role": "user", "content": "Hello there"}]
MODEL = "sim-model"
SLACK_S = 0.25  # allowed lateness for timing assertions on a shared, busy machine

# (status, OpenAI exception, OpenAI error type, Anthropic exception, Anthropic error type)
STATUS_CASES = [
    (400, openai.BadRequestError, "invalid_request_error", anthropic.BadRequestError, "invalid_request_error"),
    (401, openai.AuthenticationError, "invalid_request_error", anthropic.AuthenticationError, "authentication_error"),
    (403, openai.PermissionDeniedError, "request_forbidden", anthropic.PermissionDeniedError, "permission_error"),
    (404, openai.NotFoundError, "invalid_request_error", anthropic.NotFoundError, "not_found_error"),
    (429, openai.RateLimitError, "requests", anthropic.RateLimitError, "rate_limit_error"),
    (500, openai.InternalServerError, "server_error", anthropic.InternalServerError, "api_error"),
    (503, openai.InternalServerError, "server_error", anthropic.ServiceUnavailableError, "api_error"),
    (529, openai.InternalServerError, "server_error", anthropic.OverloadedError, "overloaded_error"),
]


def call_openai(client: openai.OpenAI, stream: bool, **kwargs: Any) -> Any:
    if stream:
        return list(client.chat.completions.create(model=MODEL, messages=OPENAI_USER, stream=True, **kwargs))
    return client.chat.completions.create(model=MODEL, messages=OPENAI_USER, **kwargs)


def call_anthropic(client: anthropic.Anthropic, stream: bool, **kwargs: Any) -> Any:
    if stream:
        return list(client.messages.create(model=MODEL, max_tokens=50, messages=ANTHROPIC_USER, stream=True, **kwargs))
    return client.messages.create(model=MODEL, max_tokens=50, messages=ANTHROPIC_USER, **kwargs)


def seconds(fn: Callable[[], Any]) -> float:
    start = time.monotonic()
    fn()
    return time.monotonic() - start


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
@pytest.mark.parametrize(
    ("status", "oai_exc", "oai_type", "ant_exc", "ant_type"), STATUS_CASES, ids=[str(c[0]) for c in STATUS_CASES]
)
def test_when_a_model_fails_with_a_status_then_each_sdk_raises_its_real_exception(
    admin,
    oai,
    ant,
    stream,
    status,
    oai_exc,
    oai_type,
    ant_exc,
    ant_type,
) -> None:
    admin.set(MODEL, errorRate=1, status=status, ttftMs=0)
    with pytest.raises(oai_exc) as oai_caught:
        call_openai(oai, stream)
    assert type(oai_caught.value) is oai_exc and oai_caught.value.status_code == status
    assert oai_caught.value.type == oai_type
    assert oai_caught.value.response.headers["x-request-id"].startswith("req_")
    with pytest.raises(ant_exc) as ant_caught:
        call_anthropic(ant, stream)
    assert type(ant_caught.value) is ant_exc and ant_caught.value.status_code == status
    assert ant_caught.value.body["error"]["type"] == ant_type
    assert ant_caught.value.request_id.startswith("req_")


def test_when_rate_limited_then_retry_after_is_sent(admin, oai, ant) -> None:
    admin.set(MODEL, errorRate=1, status=429, ttftMs=0)
    with pytest.raises(openai.RateLimitError) as oai_caught:
        call_openai(oai, False)
    assert oai_caught.value.code == "rate_limit_exceeded"
    assert oai_caught.value.response.headers["retry-after"] == "1"
    with pytest.raises(anthropic.RateLimitError) as ant_caught:
        call_anthropic(ant, True)
    assert ant_caught.value.response.headers["retry-after"] == "1"


def test_when_a_failure_is_simulated_then_it_arrives_after_the_ttft(admin, oai) -> None:
    admin.set(MODEL, errorRate=1, status=500, ttftMs=300)
    start = time.monotonic()
    with pytest.raises(openai.InternalServerError):
        call_openai(oai, True)
    assert 0.29 <= time.monotonic() - start < 0.3 + SLACK_S


def test_when_error_rate_is_partial_then_roughly_that_share_fails(admin, oai) -> None:
    admin.set(MODEL, errorRate=0.5, latencyMs=0, ttftMs=0)
    failures = 0
    for _ in range(200):
        try:
            call_openai(oai, False, max_tokens=1)
        except openai.InternalServerError:
            failures += 1
    assert 60 <= failures <= 140  # binomial(200, 0.5): outside this is ~1e-8
    stats = admin.get("/admin/stats")["models"][MODEL]
    assert stats == {"total": 200, "outcomes": {"status_500": failures, "success": 200 - failures}}


def test_when_another_model_fails_then_this_one_does_not(admin, oai) -> None:
    admin.set("other-model", errorRate=1)
    assert call_openai(oai, False).choices[0].message.content


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_when_ttft_is_set_then_the_first_content_chunk_arrives_then(admin, oai, ant, provider) -> None:
    call_openai(oai, False) if provider == "openai" else call_anthropic(ant, False)  # warm the connection
    admin.set(MODEL, ttftMs=300, latencyMs=600)
    start = time.monotonic()
    first = None
    if provider == "openai":
        for chunk in oai.chat.completions.create(model=MODEL, messages=OPENAI_USER, stream=True):
            if first is None and chunk.choices and chunk.choices[0].delta.content:
                first = time.monotonic() - start
    else:
        for event in ant.messages.create(model=MODEL, max_tokens=50, messages=ANTHROPIC_USER, stream=True):
            if first is None and event.type == "content_block_delta":
                first = time.monotonic() - start
    total = time.monotonic() - start
    # Never early; the upper bounds leave room for a machine busy with other test runs.
    assert first is not None and 0.29 <= first < 0.3 + SLACK_S
    assert 0.59 <= total < 0.6 + SLACK_S
    assert total - first >= 0.25  # the rest of the answer is spread, not sent with the first token


def test_when_latency_and_jitter_are_set_then_plain_answers_take_that_long(admin, oai) -> None:
    admin.set(MODEL, latencyMs=300, ttftMs=0)
    assert 0.29 <= seconds(lambda: call_openai(oai, False)) < 0.3 + SLACK_S
    admin.set(MODEL, latencyMs=200, jitterMs=100)
    for _ in range(5):
        assert 0.099 <= seconds(lambda: call_openai(oai, False)) < 0.3 + SLACK_S


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
def test_when_a_model_hangs_then_the_sdk_times_out(admin, oai, ant, stream) -> None:
    admin.set(MODEL, hang=True)
    with pytest.raises(openai.APITimeoutError):
        call_openai(oai.with_options(timeout=0.5), stream)
    with pytest.raises(anthropic.APITimeoutError):
        call_anthropic(ant.with_options(timeout=0.5), stream)


def test_when_reset_then_hung_requests_are_released_with_a_500(sim, admin) -> None:
    admin.set(MODEL, hang=True)
    result: dict[str, Any] = {}

    def hung_request() -> None:
        body = {"model": MODEL, "messages": OPENAI_USER}
        result["response"] = httpx.post(
            f"{sim.url}/v1/chat/completions", json=body, headers={"Authorization": "Bearer k"}, timeout=10
        )

    thread = threading.Thread(target=hung_request)
    thread.start()
    wait_until(
        "the request to be hanging", lambda: admin.get("/admin/stats")["models"].get(MODEL), timeout=5, every=0.02
    )
    released_at = time.monotonic()
    admin.reset()
    thread.join(timeout=5)
    assert time.monotonic() - released_at < 1
    assert result["response"].status_code == 500
    assert result["response"].json()["error"]["type"] == "server_error"


def test_when_status_is_0_then_the_connection_drops(admin, oai, ant) -> None:
    admin.set(MODEL, errorRate=1, status=0, ttftMs=0)
    with pytest.raises(openai.APIConnectionError):
        call_openai(oai, False)
    received = []
    with pytest.raises(openai.APIConnectionError):
        for chunk in oai.chat.completions.create(model=MODEL, messages=OPENAI_USER, stream=True):
            received.append(chunk)
    assert any(c.choices[0].delta.content for c in received)  # dropped *after* the first content
    with pytest.raises(anthropic.APIConnectionError):
        call_anthropic(ant, False)
    # The Anthropic SDK does not wrap transport errors raised while iterating a stream.
    with pytest.raises((anthropic.APIConnectionError, httpx2.TransportError)):
        call_anthropic(ant, True)
    assert admin.get("/admin/stats")["models"][MODEL]["outcomes"] == {"disconnect": 4}


def test_when_empty_response_then_no_content_and_no_usage(admin, oai, ant) -> None:
    admin.set(MODEL, emptyResponse=True)
    chunks = call_openai(oai, True, stream_options={"include_usage": True})
    assert not any(c.choices and c.choices[0].delta.content for c in chunks)
    assert all(c.usage is None for c in chunks)
    plain = call_openai(oai, False)
    assert plain.choices[0].message.content is None and plain.usage is None
    events = call_anthropic(ant, True)
    assert [e.type for e in events] == ["message_start", "message_delta", "message_stop"]
    assert events[1].usage.output_tokens == 0
    message = call_anthropic(ant, False)
    assert message.content == [] and message.usage.output_tokens == 0


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
def test_when_garbage_then_the_sdks_fail_to_decode(admin, oai, ant, stream) -> None:
    admin.set(MODEL, garbage=True)
    with pytest.raises(ValueError):
        call_openai(oai, stream)
    with pytest.raises(ValueError):
        call_anthropic(ant, stream)

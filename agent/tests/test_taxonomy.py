"""Every SDK failure maps to the closed set of outcome classes, from real SDK exception objects.

Status errors are built by each SDK's own `_make_status_error`, which picks the exception class from the
status exactly as a live call does. Both SDKs in this environment are built on `httpx2`, so the responses
are `httpx2.Response` objects (the `httpx` API under its new name).
"""

from __future__ import annotations

import json

import aiohttp
import anthropic
import httpx2
import openai
import pytest

from agent.taxonomy import MAX_MESSAGE_CHARS, Outcome, classify_exception, scrub

OPENAI = openai.AsyncOpenAI(api_key="unit-test", base_url="http://sdk.test/v1", max_retries=0)
ANTHROPIC = anthropic.AsyncAnthropic(api_key="unit-test", base_url="http://sdk.test", max_retries=0)
REQUEST = httpx2.Request("POST", "http://sdk.test/v1/chat/completions")


def openai_status_error(status: int, body: object | None = None) -> Exception:
    body = body or {"error": {"message": f"status {status}", "type": "x", "param": None, "code": None}}
    response = httpx2.Response(status, request=REQUEST, headers={"x-request-id": "req_openai_1"}, json=body)
    return OPENAI._make_status_error_from_response(response)


def anthropic_status_error(status: int, error_type: str = "api_error") -> Exception:
    body = {"type": "error", "error": {"type": error_type, "message": f"status {status}"}}
    response = httpx2.Response(status, request=REQUEST, headers={"request-id": "req_011Canth"}, json=body)
    return ANTHROPIC._make_status_error_from_response(response)


def mid_stream_anthropic_error(error_type: str) -> Exception:
    # An SSE `error` event after HTTP 200: the SDK raises a status error carrying status 200.
    body = {"type": "error", "error": {"type": error_type, "message": "Overloaded"}}
    response = httpx2.Response(200, request=REQUEST, headers={"request-id": "req_011Cmid"})
    return ANTHROPIC._make_status_error(json.dumps(body), body=body, response=response)


STATUS_CASES = [
    (400, Outcome.BAD_REQUEST),
    (401, Outcome.AUTH),
    (402, Outcome.AUTH),
    (403, Outcome.AUTH),
    (404, Outcome.NOT_FOUND),
    (408, Outcome.TIMEOUT),
    (409, Outcome.BAD_REQUEST),
    (413, Outcome.BAD_REQUEST),
    (422, Outcome.BAD_REQUEST),
    (429, Outcome.RATE_LIMITED),
    (500, Outcome.SERVER_ERROR),
    (502, Outcome.SERVER_ERROR),
    (503, Outcome.OVERLOADED),
    (504, Outcome.SERVER_ERROR),
    (529, Outcome.OVERLOADED),
]


@pytest.mark.parametrize(("status", "outcome"), STATUS_CASES, ids=[str(s) for s, _ in STATUS_CASES])
def test_when_openai_answers_an_error_status_then_its_class_status_and_request_id_are_kept(status, outcome):
    failure = classify_exception(openai_status_error(status))
    assert (failure.outcome, failure.http_status, failure.request_id) == (outcome, status, "req_openai_1")
    assert failure.message == f"HTTP {status}: status {status}"


@pytest.mark.parametrize(("status", "outcome"), STATUS_CASES, ids=[str(s) for s, _ in STATUS_CASES])
def test_when_anthropic_answers_an_error_status_then_its_class_status_and_request_id_are_kept(status, outcome):
    failure = classify_exception(anthropic_status_error(status))
    assert (failure.outcome, failure.http_status, failure.request_id) == (outcome, status, "req_011Canth")


def test_anthropic_529_is_the_sdks_overloaded_error():
    assert isinstance(anthropic_status_error(529, "overloaded_error"), anthropic.OverloadedError)


TRANSPORT_CASES = [
    ("openai APITimeoutError", openai.APITimeoutError(request=REQUEST), Outcome.TIMEOUT),
    ("anthropic APITimeoutError", anthropic.APITimeoutError(request=REQUEST), Outcome.TIMEOUT),
    ("asyncio deadline", TimeoutError(), Outcome.TIMEOUT),
    ("httpx2 ReadTimeout", httpx2.ReadTimeout("read", request=REQUEST), Outcome.TIMEOUT),
    ("openai APIConnectionError", openai.APIConnectionError(request=REQUEST), Outcome.CONNECTION),
    ("anthropic APIConnectionError", anthropic.APIConnectionError(request=REQUEST), Outcome.CONNECTION),
    ("httpx2 RemoteProtocolError", httpx2.RemoteProtocolError("peer closed", request=REQUEST), Outcome.CONNECTION),
    ("refused socket", ConnectionRefusedError(111, "Connection refused"), Outcome.CONNECTION),
    ("bad SSE JSON", json.JSONDecodeError("Expecting value", '{"id":"chatcmpl-', 16), Outcome.INVALID_RESPONSE),
    (
        "openai schema mismatch",
        openai.APIResponseValidationError(httpx2.Response(200, request=REQUEST), body=None),
        Outcome.INVALID_RESPONSE,
    ),
    (
        "anthropic schema mismatch",
        anthropic.APIResponseValidationError(httpx2.Response(200, request=REQUEST), body=None),
        Outcome.INVALID_RESPONSE,
    ),
    ("something unforeseen", RuntimeError("boom"), Outcome.INVALID_RESPONSE),
]


@pytest.mark.parametrize(("exc", "outcome"), [c[1:] for c in TRANSPORT_CASES], ids=[c[0] for c in TRANSPORT_CASES])
def test_when_the_call_fails_without_an_error_status_then_the_failure_is_classified(exc, outcome):
    failure = classify_exception(exc)
    assert failure.outcome == outcome
    assert failure.http_status in (None, 200)


BODY_CASES = [
    ("overloaded_error", Outcome.OVERLOADED),
    ("rate_limit_error", Outcome.RATE_LIMITED),
    ("api_error", Outcome.SERVER_ERROR),
    ("authentication_error", Outcome.AUTH),
    ("invalid_request_error", Outcome.BAD_REQUEST),
    ("some_future_error", Outcome.SERVER_ERROR),
]


@pytest.mark.parametrize(("error_type", "outcome"), BODY_CASES, ids=[c[0] for c in BODY_CASES])
def test_when_anthropic_stream_carries_an_error_event_then_the_error_type_decides(error_type, outcome):
    failure = classify_exception(mid_stream_anthropic_error(error_type))
    assert (failure.outcome, failure.http_status, failure.request_id) == (outcome, 200, "req_011Cmid")


def test_when_openai_stream_carries_an_error_then_the_error_code_decides():
    body = {"message": "Rate limit reached", "type": "requests", "code": "rate_limit_exceeded"}
    failure = classify_exception(openai.APIError("Rate limit reached", REQUEST, body=body))
    assert failure.outcome == Outcome.RATE_LIMITED
    assert failure.message == "stream error: Rate limit reached"


def _openai_timeout_from(transport_error: Exception, mapped: type[httpx2.TimeoutException]) -> Exception:
    """What openai's vendored aiohttp adapter and the SDK raise: aiohttp error -> httpx2 timeout -> APITimeoutError."""
    try:
        try:
            try:
                raise transport_error
            except aiohttp.ClientError as error:
                raise mapped(str(error)) from error
        except httpx2.TimeoutException as wrapped:
            raise openai.APITimeoutError(request=REQUEST) from wrapped
    except openai.APITimeoutError as exc:
        return exc


def test_when_openai_reports_a_dropped_connection_as_a_connect_timeout_then_the_outcome_is_connection():
    # openai's copy of the adapter maps every aiohttp.ClientConnectionError to httpx2.ConnectTimeout.
    dropped = aiohttp.ServerDisconnectedError()
    failure = classify_exception(_openai_timeout_from(dropped, httpx2.ConnectTimeout))
    assert failure.outcome == Outcome.CONNECTION
    assert failure.message == "connection failed: ServerDisconnectedError: Server disconnected"


def test_when_aiohttp_timed_out_reading_then_the_outcome_stays_timeout():
    failure = classify_exception(_openai_timeout_from(aiohttp.SocketTimeoutError("read"), httpx2.ReadTimeout))
    assert failure.outcome == Outcome.TIMEOUT


def test_an_aiohttp_error_the_adapter_does_not_map_is_a_connection_failure():
    failure = classify_exception(aiohttp.ClientPayloadError("Response payload is not completed"))
    assert failure.outcome == Outcome.CONNECTION


def test_wrapped_transport_errors_name_their_cause():
    try:
        try:
            raise httpx2.ConnectError("All connection attempts failed", request=REQUEST)
        except httpx2.ConnectError as cause:
            raise openai.APIConnectionError(request=REQUEST) from cause
    except openai.APIConnectionError as exc:
        failure = classify_exception(exc)
    assert failure.message == (
        "connection failed: APIConnectionError: Connection error. (ConnectError: All connection attempts failed)"
    )


def test_scrub_removes_the_key_value_wherever_it_appears():
    key = "canary-9f2d7c1e"
    assert scrub(f"bad key {key}; again:{key}", [key]) == "bad key [REDACTED]; again:[REDACTED]"


def test_scrub_removes_key_shaped_tokens_even_when_the_key_is_unknown():
    assert scrub("Incorrect API key provided: sk-proj-abc123****wxyz.", []) == "Incorrect API key provided: [REDACTED]."
    assert scrub("header Authorization: Bearer abc.def", []) == "header Authorization: [REDACTED]"


def test_scrub_cuts_after_removing_so_a_cut_cannot_leave_half_a_key():
    key = "k" * 40
    message = "x" * (MAX_MESSAGE_CHARS - 10) + key
    scrubbed = scrub(message, [key])
    assert len(scrubbed) <= MAX_MESSAGE_CHARS
    assert "kkkkk" not in scrubbed

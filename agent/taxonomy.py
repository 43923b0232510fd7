"""Maps every way an LLM call can end to the closed set of outcome classes (docs/contracts.md).

Both SDKs raise look-alike but distinct exception classes, and a stream can also fail after HTTP 200
(an SSE `error` event), where only the error body says what went wrong. Anything unforeseen still lands
in the closed set: the service's health verdicts and the metrics' `outcome` label depend on that.

The SDKs send over aiohttp (clients.py), through an adapter each SDK vendors that turns aiohttp's errors
into httpx ones. OpenAI's copy maps every aiohttp connection error (refused, reset, closed before an
answer) to `httpx.ConnectTimeout`, which the SDK raises as `APITimeoutError`: the aiohttp error it came
from decides instead (`_connection_error_behind`).
"""

from __future__ import annotations

import json
import re
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

import aiohttp
import anthropic
import httpx2
import openai
import pydantic

from agent.key_forms import configured_keys, redact_key_forms

MAX_MESSAGE_CHARS = 300
_REDACTED = "[REDACTED]"
# Token shapes providers echo back in auth errors ("Incorrect API key provided: sk-proj-****abcd").
_KEY_LIKE_RE = re.compile(r"\b(?:sk|sk-ant|sk-proj|pk|rk)-[A-Za-z0-9_*\-]{6,}|\bBearer\s+\S+", re.IGNORECASE)


class Outcome(StrEnum):
    SUCCESS = "success"
    TIMEOUT = "timeout"
    CONNECTION = "connection"
    RATE_LIMITED = "rate_limited"
    OVERLOADED = "overloaded"
    SERVER_ERROR = "server_error"
    AUTH = "auth"
    NOT_FOUND = "not_found"
    BAD_REQUEST = "bad_request"
    INVALID_RESPONSE = "invalid_response"


@dataclass(frozen=True)
class Failure:
    outcome: Outcome
    http_status: int | None
    request_id: str | None
    message: str
    # The request field to blame when the failure is the request's own fault, not the model's.
    request_fault: str | None = None


_TIMEOUT_ERRORS = (openai.APITimeoutError, anthropic.APITimeoutError, httpx2.TimeoutException, TimeoutError)
_CONNECTION_ERRORS = (
    openai.APIConnectionError,
    anthropic.APIConnectionError,
    httpx2.TransportError,
    httpx2.InvalidURL,
    aiohttp.ClientError,  # raised as is when the SDK's adapter has no httpx error for it
    ssl.SSLError,
    OSError,
)
_STATUS_ERRORS = (openai.APIStatusError, anthropic.APIStatusError)
_VALIDATION_ERRORS = (
    openai.APIResponseValidationError,
    anthropic.APIResponseValidationError,
    json.JSONDecodeError,
    pydantic.ValidationError,
    httpx2.DecodingError,
)
_PROVIDER_ERRORS = (openai.APIError, anthropic.APIError)

# Error `type` / `code` strings of both providers' error bodies, for failures that carry no HTTP status.
_ERROR_TYPES = {
    "overloaded_error": Outcome.OVERLOADED,
    "rate_limit_error": Outcome.RATE_LIMITED,
    "rate_limit_exceeded": Outcome.RATE_LIMITED,
    "authentication_error": Outcome.AUTH,
    "permission_error": Outcome.AUTH,
    "billing_error": Outcome.AUTH,
    "invalid_api_key": Outcome.AUTH,
    "not_found_error": Outcome.NOT_FOUND,
    "model_not_found": Outcome.NOT_FOUND,
    "invalid_request_error": Outcome.BAD_REQUEST,
    "request_too_large": Outcome.BAD_REQUEST,
    "timeout_error": Outcome.TIMEOUT,
    "api_error": Outcome.SERVER_ERROR,
    "server_error": Outcome.SERVER_ERROR,
}


def outcome_for_status(status: int) -> Outcome:
    """The outcome class of an HTTP error status."""
    if status == 429:
        return Outcome.RATE_LIMITED
    if status in (503, 529):
        return Outcome.OVERLOADED
    if status >= 500:
        return Outcome.SERVER_ERROR
    if status in (401, 402, 403):  # 402: the account may not use this key; not the model's health
        return Outcome.AUTH
    if status == 404:
        return Outcome.NOT_FOUND
    if status == 408:
        return Outcome.TIMEOUT
    return Outcome.BAD_REQUEST


# Provider error codes and texts that say the REQUEST is at fault (it would fail on every model):
# the context is too long, or the content was refused as invalid.
_REQUEST_FAULT_CODES = {
    "context_length_exceeded",
    "string_above_max_length",
    "invalid_prompt",
    "content_policy_violation",
}
_REQUEST_FAULT_TEXTS = ("maximum context length", "prompt is too long", "context window", "invalid unicode")


def classify_exception(exc: BaseException) -> Failure:
    """The outcome, HTTP status, provider request id and a raw (unscrubbed) message for `exc`."""
    if isinstance(exc, UnicodeError):
        # The SDK could not encode our own input (a lone surrogate): nothing was sent, the request is at fault.
        return Failure(Outcome.BAD_REQUEST, None, None, "the input cannot be encoded: " + _describe(exc), "interview")
    return _classify_sdk_exception(exc)


def _classify_sdk_exception(exc: BaseException) -> Failure:
    if isinstance(exc, _TIMEOUT_ERRORS) and (cause := _connection_error_behind(exc)) is not None:
        return Failure(Outcome.CONNECTION, None, _request_id(exc), "connection failed: " + _describe(cause))
    if isinstance(exc, _TIMEOUT_ERRORS):
        return Failure(Outcome.TIMEOUT, None, _request_id(exc), "timed out: " + _describe(exc))
    if isinstance(exc, _STATUS_ERRORS):
        return _classify_status_error(exc)
    if isinstance(exc, _VALIDATION_ERRORS):
        status = getattr(exc, "status_code", None)
        return Failure(Outcome.INVALID_RESPONSE, status, _request_id(exc), "unparsable answer: " + _describe(exc))
    if isinstance(exc, _CONNECTION_ERRORS):
        return Failure(Outcome.CONNECTION, None, _request_id(exc), "connection failed: " + _describe(exc))
    if isinstance(exc, _PROVIDER_ERRORS):
        # An SSE error event after HTTP 200 (OpenAI raises a bare APIError for it).
        body = getattr(exc, "body", None)
        return Failure(_outcome_from_body(body), None, _request_id(exc), "stream error: " + _provider_message(exc))
    return Failure(Outcome.INVALID_RESPONSE, None, None, "unexpected failure reading the answer: " + _describe(exc))


def _connection_error_behind(exc: BaseException) -> aiohttp.ClientError | None:
    """The aiohttp error that caused `exc`, if it is a connection failure and not a timeout."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, aiohttp.ClientError):
            return None if isinstance(cause, TimeoutError) else cause
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return None


def _classify_status_error(exc: openai.APIStatusError | anthropic.APIStatusError) -> Failure:
    status = exc.status_code
    if status < 400:
        # Anthropic raises a status error carrying the stream's HTTP 200 for an SSE `error` event.
        outcome = _outcome_from_body(exc.body)
        return Failure(outcome, status, _request_id(exc), "stream error: " + _provider_message(exc))
    message = _provider_message(exc)
    fault = "interview" if status in (400, 413, 422) and _is_request_fault(exc.body, message) else None
    return Failure(outcome_for_status(status), status, _request_id(exc), f"HTTP {status}: {message}", fault)


def _is_request_fault(body: object, message: str) -> bool:
    error = body.get("error", body) if isinstance(body, dict) else None
    code = str(error.get("code")) if isinstance(error, dict) else ""
    return code in _REQUEST_FAULT_CODES or any(text in message.lower() for text in _REQUEST_FAULT_TEXTS)


def _outcome_from_body(body: object) -> Outcome:
    for error in (body, body.get("error") if isinstance(body, dict) else None):
        if isinstance(error, dict):
            for field in ("type", "code"):
                outcome = _ERROR_TYPES.get(str(error.get(field)))
                if outcome is not None:
                    return outcome
    return Outcome.SERVER_ERROR


def _provider_message(exc: BaseException) -> str:
    """The provider's own error text when the body has one; the SDK's message otherwise."""
    body = getattr(exc, "body", None)
    for error in (body.get("error") if isinstance(body, dict) else None, body):
        if isinstance(error, dict) and isinstance(error.get("message"), str) and error["message"]:
            return error["message"]
    return str(getattr(exc, "message", None) or exc) or type(exc).__name__


def _describe(exc: BaseException) -> str:
    """`Type: message`, with the underlying transport error when the SDK wrapped one."""
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    cause = exc.__cause__ or exc.__context__
    if cause is not None and isinstance(exc, (openai.APIError, anthropic.APIError)):
        text += f" ({type(cause).__name__}: {cause})" if str(cause) else f" ({type(cause).__name__})"
    return text


def _request_id(exc: BaseException) -> str | None:
    request_id = getattr(exc, "request_id", None)
    if request_id:
        return str(request_id)
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    return headers.get("x-request-id") or headers.get("request-id")


def scrub(message: str, secrets: Iterable[str | None] = ()) -> str:
    """`message` with every form of every key and every key-shaped token removed, cut to MAX_MESSAGE_CHARS.

    The keys are `secrets` plus every key configured in the environment (any `*_API_KEY`), so an error
    from one provider cannot carry another's key either. Each is removed raw and in every form
    `key_forms` knows (base64, percent- or hex-encoded, `\\u`-escaped, spaced, split over lines or
    into pieces). Scrubbing happens before cutting, so a key cannot survive by being cut in half.
    """
    keys = {secret for secret in secrets if secret} | set(configured_keys())
    for key in keys:
        message = message.replace(key, _REDACTED)
    message = redact_key_forms(message, keys, _REDACTED)
    message = _KEY_LIKE_RE.sub(_REDACTED, message)
    message = " ".join(message.split())
    if len(message) > MAX_MESSAGE_CHARS:
        message = message[: MAX_MESSAGE_CHARS - 1] + "…"
    return message

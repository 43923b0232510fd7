"""Each provider's real error bodies and headers, so the SDKs raise their real exception classes.

Shapes follow what api.openai.com and api.anthropic.com send (and what the installed SDKs parse):
OpenAI  {"error": {"message", "type", "param", "code"}}
Anthropic {"type": "error", "error": {"type", "message"}, "request_id"}
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

RETRY_AFTER_S = "1"


@dataclass(frozen=True)
class ErrorSpec:
    message: str
    type: str
    code: str | None = None
    param: str | None = None


_OPENAI_KEY_URL = "https://platform.openai.com/account/api-keys"
OPENAI_MISSING_KEY = ErrorSpec(
    "You didn't provide an API key. You need to provide your API key in an Authorization header "
    "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank "
    "username) if you're accessing the API from your browser and are prompted for a username. "
    f"You can obtain an API key from {_OPENAI_KEY_URL}.",
    "invalid_request_error",
)

_OPENAI_BY_STATUS: dict[int, ErrorSpec] = {
    400: ErrorSpec("Invalid request: the request could not be processed.", "invalid_request_error"),
    401: ErrorSpec(
        f"Incorrect API key provided: sim-****. You can find your API key at {_OPENAI_KEY_URL}.",
        "invalid_request_error",
        "invalid_api_key",
    ),
    403: ErrorSpec(
        "Country, region, or territory not supported", "request_forbidden", "unsupported_country_region_territory"
    ),
    404: ErrorSpec(
        "The model `{model}` does not exist or you do not have access to it.",
        "invalid_request_error",
        "model_not_found",
    ),
    429: ErrorSpec(
        "Rate limit reached for {model} in organization org-simulator on requests per min (RPM): "
        "Limit 500, Used 500, Requested 1. Please try again in 1s. "
        "Visit https://platform.openai.com/account/rate-limits to learn more.",
        "requests",
        "rate_limit_exceeded",
    ),
    500: ErrorSpec("The server had an error while processing your request. Sorry about that!", "server_error"),
    502: ErrorSpec("Bad gateway.", "server_error"),
    503: ErrorSpec(
        "That model is currently overloaded with other requests. You can retry your request, or contact "
        "us through our help center at help.openai.com if the error persists.",
        "server_error",
    ),
    504: ErrorSpec("Gateway timeout.", "server_error"),
}

ANTHROPIC_MISSING_KEY = ErrorSpec("x-api-key header is required", "authentication_error")

_ANTHROPIC_BY_STATUS: dict[int, ErrorSpec] = {
    400: ErrorSpec("Invalid request.", "invalid_request_error"),
    401: ErrorSpec("invalid x-api-key", "authentication_error"),
    402: ErrorSpec("Your credit balance is too low to access the Anthropic API.", "billing_error"),
    403: ErrorSpec("Your API key does not have permission to use the specified resource.", "permission_error"),
    404: ErrorSpec("model: {model}", "not_found_error"),
    413: ErrorSpec("Request exceeds the maximum allowed number of bytes.", "request_too_large"),
    429: ErrorSpec(
        "This request would exceed the rate limit for your organization of 50 requests per minute. "
        "For details, refer to: https://docs.claude.com/en/api/rate-limits. You can see the response "
        "headers for current usage. Please reduce the prompt length or the maximum tokens requested, "
        "or try again later.",
        "rate_limit_error",
    ),
    500: ErrorSpec("Internal server error", "api_error"),
    504: ErrorSpec("Request timed out", "timeout_error"),
    529: ErrorSpec("Overloaded", "overloaded_error"),
}


def openai_spec(status: int) -> ErrorSpec:
    if status in _OPENAI_BY_STATUS:
        return _OPENAI_BY_STATUS[status]
    if status >= 500:
        return _OPENAI_BY_STATUS[500]
    return ErrorSpec(f"Request failed with status {status}.", "invalid_request_error")


def anthropic_spec(status: int) -> ErrorSpec:
    if status in _ANTHROPIC_BY_STATUS:
        return _ANTHROPIC_BY_STATUS[status]
    return _ANTHROPIC_BY_STATUS[500] if status >= 500 else _ANTHROPIC_BY_STATUS[400]


def openai_body(spec: ErrorSpec, model: str) -> dict[str, Any]:
    return {
        "error": {
            "message": spec.message.replace("{model}", model),
            "type": spec.type,
            "param": spec.param,
            "code": spec.code,
        }
    }


def anthropic_body(spec: ErrorSpec, model: str, request_id: str) -> dict[str, Any]:
    return {
        "type": "error",
        "error": {"type": spec.type, "message": spec.message.replace("{model}", model)},
        "request_id": request_id,
    }


def openai_headers(status: int) -> dict[str, str]:
    if status != 429:
        return {}
    return {
        "retry-after": RETRY_AFTER_S,
        "x-ratelimit-limit-requests": "500",
        "x-ratelimit-remaining-requests": "0",
        "x-ratelimit-reset-requests": f"{RETRY_AFTER_S}s",
    }


def anthropic_headers(status: int) -> dict[str, str]:
    if status != 429:
        return {}
    return {
        "retry-after": RETRY_AFTER_S,
        "anthropic-ratelimit-requests-limit": "50",
        "anthropic-ratelimit-requests-remaining": "0",
    }

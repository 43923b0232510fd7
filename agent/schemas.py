"""The agent's HTTP request and response bodies, camelCase on the wire: the single source of the service ↔ agent
contract. `make contract` exports them to agent/contract/openapi.json, from which the service generates its types
and validators; a test fails when that file is stale."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.alias_generators import to_camel

from agent.settings import API_KEY_ENV_PATTERN
from agent.taxonomy import MAX_MESSAGE_CHARS, Outcome

_HEADER_NAME_RE = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")
MAX_TIMEOUT_MS = 600_000


class WireModel(BaseModel):
    # Unknown fields are ignored so the service can add fields before the agent learns them.
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore", protected_namespaces=())


class ProviderKind(StrEnum):
    """Which SDK speaks to a provider: `openai_compatible` is the OpenAI SDK with `max_tokens`."""

    OPENAI = "openai"
    ANTHROPIC = "anthropic"
    OPENAI_COMPATIBLE = "openai_compatible"


PROVIDER_NAME_PATTERN = r"^[a-z0-9_-]{1,64}$"


class ProviderConfig(BaseModel):
    """One entry of the configuration file's `providers` section, the only endpoints the agent calls."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")
    kind: ProviderKind
    base_url: str = Field(max_length=2048)
    api_key_env: str = Field(pattern=API_KEY_ENV_PATTERN, max_length=128)
    headers: dict[str, str] = Field(default_factory=dict, max_length=32)

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http(s) URL with a host")
        return value

    @field_validator("headers")
    @classmethod
    def _valid_headers(cls, value: dict[str, str]) -> dict[str, str]:
        for name, header_value in value.items():
            if not _HEADER_NAME_RE.match(name):
                raise ValueError(f"header name {name!r} is not a valid HTTP header name")
            if "\r" in header_value or "\n" in header_value:
                raise ValueError(f"header {name!r} has a line break in its value")
        return value


class Endpoint(ProviderConfig):
    """A configured provider with its name: what a call is made to. Never built from a request."""

    model_config = ConfigDict(frozen=True)
    name: str = Field(pattern=PROVIDER_NAME_PATTERN)


class ProbeRequest(WireModel):
    model_id: str | None = Field(default=None, max_length=300)
    provider: str = Field(
        pattern=PROVIDER_NAME_PATTERN,
        description="A provider of the agent's configuration file; any other name is refused with 422.",
    )
    model: str = Field(min_length=1, max_length=256, pattern=r"^[^\x00-\x1f\x7f]+$")
    timeout_ms: float = Field(default=10_000, gt=0, le=MAX_TIMEOUT_MS)
    max_tokens: int = Field(default=1, ge=1, le=32_768)
    deadline_at: float | None = Field(
        default=None,
        gt=0,
        description=(
            "Epoch milliseconds after which the caller no longer waits for the answer. The agent drops the work "
            "(HTTP 504, no provider call) if it starts later, and never lets the call run past it."
        ),
    )


class InterviewRequest(ProbeRequest):
    interview_id: str | None = Field(default=None, max_length=300)
    timeout_ms: float = Field(default=30_000, gt=0, le=MAX_TIMEOUT_MS)
    max_tokens: int = Field(default=120, ge=1, le=32_768)
    # Free-form simulation configuration; prompts.py reads the fields it knows and ignores the rest.
    interview: dict[str, Any] = Field(default_factory=dict)


class UsageBody(WireModel):
    input_tokens: int | None = Field(ge=0)
    output_tokens: int | None = Field(ge=0)


class ProbeResponse(WireModel):
    """What the agent measured for one LLM call; HTTP 200 whatever the outcome."""

    outcome: Outcome
    latency_ms: float = Field(ge=0, description="From sending the request to the end of the stream or the error.")
    ttft_ms: float | None = Field(ge=0, description="From sending the request to the first content chunk.")
    http_status: int | None
    usage: UsageBody | None
    request_id: str | None
    response_model: str | None
    error_message: str | None = Field(max_length=MAX_MESSAGE_CHARS, description="Short, never contains a key.")
    queue_ms: float | None = Field(
        default=None,
        ge=0,
        description=(
            "From the agent receiving the request to sending it to the provider: the agent's own queueing, "
            "never part of latencyMs or ttftMs. None when nothing was sent."
        ),
    )


class InterviewResponse(ProbeResponse):
    text: str = Field(description="The opening line; empty unless the outcome is `success`.")
    # The request field to blame when the call failed by the request's own fault (context too long,
    # content refused as invalid): the service answers its caller 4xx and judges no model on it.
    request_fault: str | None = None


class OverloadedResponse(WireModel):
    """HTTP 503, with a `Retry-After` header: the agent already has its limit of calls in flight (overall or
    for this model). Answered at once; no provider was called, so it says nothing about the model."""

    error: Literal["overloaded"] = "overloaded"
    limit: Literal["agent", "model"] = Field(description="Which limit was reached: the whole agent's, or the model's.")
    detail: str
    retry_after_s: int = Field(ge=0, description="The same as the Retry-After header, in seconds.")

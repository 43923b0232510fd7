"""The agent's HTTP request and response bodies (docs/contracts.md, "Agent HTTP API"), camelCase on the wire."""

from __future__ import annotations

import re
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.alias_generators import to_camel

from agent.settings import API_KEY_ENV_PATTERN

_HEADER_NAME_RE = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")
MAX_TIMEOUT_MS = 600_000


class WireModel(BaseModel):
    # Unknown fields are ignored so the service can add fields before the agent learns them.
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore", protected_namespaces=())


class Endpoint(WireModel):
    name: str = Field(pattern=r"^[a-z0-9_-]+$", max_length=64)
    kind: Literal["openai", "anthropic", "openai_compatible"]
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


class ProbeRequest(WireModel):
    model_id: str | None = Field(default=None, max_length=300)
    endpoint: Endpoint
    model: str = Field(min_length=1, max_length=256, pattern=r"^[^\x00-\x1f\x7f]+$")
    timeout_ms: float = Field(default=10_000, gt=0, le=MAX_TIMEOUT_MS)
    max_tokens: int = Field(default=1, ge=1, le=32_768)


class InterviewRequest(ProbeRequest):
    interview_id: str | None = Field(default=None, max_length=300)
    timeout_ms: float = Field(default=30_000, gt=0, le=MAX_TIMEOUT_MS)
    max_tokens: int = Field(default=120, ge=1, le=32_768)
    # Free-form simulation configuration; prompts.py reads the fields it knows and ignores the rest.
    interview: dict[str, Any] = Field(default_factory=dict)


class UsageBody(WireModel):
    input_tokens: int | None
    output_tokens: int | None


class ProbeResponse(WireModel):
    outcome: str
    latency_ms: float
    ttft_ms: float | None
    http_status: int | None
    usage: UsageBody | None
    request_id: str | None
    response_model: str | None
    error_message: str | None


class InterviewResponse(ProbeResponse):
    text: str
    # The request field to blame when the call failed by the request's own fault (context too long,
    # content refused as invalid): the service answers its caller 4xx and judges no model on it.
    request_fault: str | None = None

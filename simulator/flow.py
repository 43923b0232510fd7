"""The request path shared by both providers: auth, validation, faults, then the provider's answer.

Each provider module implements `Provider` (parse, error, success, garbage); this module decides
*what* happens to a request, the provider decides *how it looks on the wire*.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from . import logs, text
from .errors import ErrorSpec
from .faults import FaultSettings, FaultStore
from .responses import JSON, Part, TimedResponse
from .stats import Stats
from .timing import Timing, draw, spread

MISSING_PREFIX = "missing-"  # model names that answer the provider's real 404


@dataclass(frozen=True)
class ChatRequest:
    model: str
    stream: bool
    max_tokens: int | None
    include_usage: bool  # OpenAI `stream_options.include_usage`; Anthropic always reports usage
    input_tokens: int
    prompt: str  # the last user message, for "Reply with: X"


@dataclass(frozen=True)
class BadRequest:
    model: str
    spec: ErrorSpec


@dataclass(frozen=True)
class Reply:
    tokens: list[str]
    truncated: bool  # stopped by max_tokens rather than by the end of the text
    empty: bool  # the `emptyResponse` fault: no content and no usage
    timing: Timing

    def offsets(self) -> list[float]:
        return spread(self.timing, len(self.tokens))


class Provider(Protocol):
    missing_key: ErrorSpec

    def new_request_id(self) -> str: ...
    def has_key(self, headers: Mapping[str, str]) -> bool: ...
    def parse(self, raw: bytes) -> ChatRequest | BadRequest: ...
    def error(
        self, status: int, model: str, request_id: str, spec: ErrorSpec | None = None
    ) -> tuple[dict[str, str], bytes]: ...
    def success(self, req: ChatRequest, reply: Reply, request_id: str) -> tuple[dict[str, str], list[Part], str]: ...
    def garbage(self, req: ChatRequest, request_id: str) -> tuple[bytes, str]: ...


@dataclass
class Context:
    faults: FaultStore
    stats: Stats
    rng: random.Random


def handle(provider: Provider, ctx: Context, headers: Mapping[str, str], raw: bytes) -> TimedResponse:
    parsed = provider.parse(raw)
    response = _respond(provider, ctx, headers, parsed)
    model = parsed.model or "(none)"
    response.on_disconnect = lambda: ctx.stats.cancel(model)
    return response


def _respond(
    provider: Provider, ctx: Context, headers: Mapping[str, str], parsed: ChatRequest | BadRequest
) -> TimedResponse:
    start = asyncio.get_running_loop().time()
    request_id = provider.new_request_id()
    # Providers check the key before anything else, so a keyless bad request is still a 401.
    if not provider.has_key(headers):
        return _error(provider, ctx, start, 401, model=parsed.model, request_id=request_id, spec=provider.missing_key)
    if isinstance(parsed, BadRequest):
        return _error(provider, ctx, start, 400, model=parsed.model, request_id=request_id, spec=parsed.spec)
    if parsed.model.startswith(MISSING_PREFIX):
        return _error(provider, ctx, start, 404, model=parsed.model, request_id=request_id)
    settings = ctx.faults.get(parsed.model)
    if settings.hang:
        return _hang(provider, ctx, parsed.model, request_id)
    timing = draw(settings, ctx.rng)
    if settings.errorRate and ctx.rng.random() < settings.errorRate:
        return _fault(provider, ctx, start, parsed, settings=settings, timing=timing, request_id=request_id)
    if settings.garbage:
        _record(ctx, parsed.model, "garbage")
        body, media = provider.garbage(parsed, request_id)
        return TimedResponse(start, 200, {}, [(timing.ttft, body)], media)
    _record(ctx, parsed.model, "empty" if settings.emptyResponse else "success")
    headers_out, parts, media = provider.success(parsed, _reply(parsed, settings, timing), request_id)
    return TimedResponse(start, 200, headers_out, parts, media)


def _reply(req: ChatRequest, settings: FaultSettings, timing: Timing) -> Reply:
    if settings.emptyResponse:
        return Reply([], False, True, timing)
    tokens = text.reply_tokens(req.prompt)
    limit = req.max_tokens
    truncated = limit is not None and len(tokens) > limit
    return Reply(tokens[:limit] if truncated else tokens, truncated, False, timing)


def _fault(
    provider: Provider,
    ctx: Context,
    start: float,
    req: ChatRequest,
    *,
    settings: FaultSettings,
    timing: Timing,
    request_id: str,
) -> TimedResponse:
    if settings.status != 0:
        return _error(provider, ctx, start, settings.status, model=req.model, request_id=request_id, delay=timing.ttft)
    # status 0: start a normal answer, then drop the connection right after the first content.
    _record(ctx, req.model, "disconnect")
    headers, parts, media = provider.success(req, _reply(req, settings, timing), request_id)
    if media != JSON:
        first = [p for p in parts if p[0] <= timing.ttft] or parts[:1]
        return TimedResponse(start, 200, headers, first, media, complete=False)
    body = parts[0][1]
    cut = [(timing.ttft, body[: len(body) // 2])]
    return TimedResponse(start, 200, headers, cut, media, complete=False, declared_length=len(body))


def _hang(provider: Provider, ctx: Context, model: str, request_id: str) -> TimedResponse:
    """Holds the request until the model stops hanging, then answers the provider's 500.

    A 500 rather than a normal answer: whoever sent it has long given up, and a request stuck at
    a real provider does not come back as a success either.
    """
    _record(ctx, model, "hang")
    headers, body = provider.error(500, model, request_id)
    return TimedResponse(0.0, 500, headers, [(0.0, body)], wait=lambda: ctx.faults.wait_while_hanging(model))


def _error(
    provider: Provider,
    ctx: Context,
    start: float,
    status: int,
    *,
    model: str,
    request_id: str,
    spec: ErrorSpec | None = None,
    delay: float = 0.0,
) -> TimedResponse:
    _record(ctx, model, f"status_{status}")
    headers, body = provider.error(status, model, request_id, spec)
    return TimedResponse(start, status, headers, [(delay, body)])


def _record(ctx: Context, model: str, outcome: str) -> None:
    model = model or "(none)"  # a body too broken to name its model
    ctx.stats.record(model, outcome)
    if logs.debug_enabled():  # per-request lines only on LOG_LEVEL=debug: they cost throughput
        logs.event("request", logging.DEBUG, model=model, outcome=outcome)

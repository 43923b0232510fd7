"""Anthropic Messages on the wire: request parsing, bodies, the SSE event sequence, errors."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from . import errors, text
from .errors import ErrorSpec
from .flow import BadRequest, ChatRequest, Reply
from .responses import JSON, SSE, Part, dumps

MODELS = ("claude-sonnet-4", "claude-haiku-4")


def _invalid(message: str) -> ErrorSpec:
    return ErrorSpec(message, "invalid_request_error")


def _event(name: str, data: dict[str, Any]) -> bytes:
    return b"event: " + name.encode() + b"\ndata: " + dumps(data) + b"\n\n"


def _system_text(system: Any) -> list[str]:
    return [text.content_text(system)] if system else []


class AnthropicProvider:
    missing_key = errors.ANTHROPIC_MISSING_KEY

    def new_request_id(self) -> str:
        return text.new_id("req_011C", 20)

    def has_key(self, headers: Mapping[str, str]) -> bool:
        # The SDK sends x-api-key, or `Authorization: Bearer` when built with auth_token.
        auth = headers.get("authorization", "")
        return bool(headers.get("x-api-key", "").strip()) or (auth[:7].lower() == "bearer " and bool(auth[7:].strip()))

    def parse(self, raw: bytes) -> ChatRequest | BadRequest:
        try:
            body = json.loads(raw)
        except ValueError:
            return BadRequest("", _invalid("There was an error parsing the body of your request: invalid JSON"))
        if not isinstance(body, dict):
            return BadRequest("", _invalid("Input should be a valid dictionary"))
        model, messages, limit = body.get("model"), body.get("messages"), body.get("max_tokens")
        for name, value in (("model", model), ("messages", messages), ("max_tokens", limit)):
            if value is None:
                return BadRequest(model if isinstance(model, str) else "", _invalid(f"{name}: Field required"))
        if not isinstance(model, str) or not model:
            return BadRequest("", _invalid("model: Input should be a valid string"))
        if not isinstance(messages, list):
            return BadRequest(model, _invalid("messages: Input should be a valid list"))
        if isinstance(limit, bool) or not isinstance(limit, int):
            return BadRequest(model, _invalid("max_tokens: Input should be a valid integer"))
        if limit < 1:
            return BadRequest(model, _invalid("max_tokens: Input should be greater than or equal to 1"))
        # `thinking`, `tools`, `temperature`... are accepted and ignored: they do not change faults.
        texts = _system_text(body.get("system")) + [
            text.content_text(m.get("content")) for m in messages if isinstance(m, dict)
        ]
        return ChatRequest(
            model=model,
            stream=body.get("stream") is True,
            max_tokens=limit,
            include_usage=True,
            input_tokens=text.estimate_input_tokens(texts),
            prompt=text.last_user_text(messages),
        )

    def error(
        self, status: int, model: str, request_id: str, spec: ErrorSpec | None = None
    ) -> tuple[dict[str, str], bytes]:
        body = errors.anthropic_body(spec or errors.anthropic_spec(status), model, request_id)
        return {"request-id": request_id, **errors.anthropic_headers(status)}, dumps(body)

    def success(self, req: ChatRequest, reply: Reply, request_id: str) -> tuple[dict[str, str], list[Part], str]:
        headers = {"request-id": request_id}
        if req.stream:
            return headers, _stream_parts(req, reply), SSE
        message = _message(req, reply)
        message["content"] = [] if reply.empty else [{"type": "text", "text": "".join(reply.tokens)}]
        message["stop_reason"] = _stop_reason(reply)
        return headers, [(reply.timing.total, dumps(message))], JSON

    def garbage(self, req: ChatRequest, request_id: str) -> tuple[bytes, str]:
        if req.stream:
            return b'event: message_start\ndata: {"type":"message_start","mess\n\n', SSE
        return b"<html><body><h1>502 Bad Gateway</h1></body></html>", JSON


def _stop_reason(reply: Reply) -> str:
    return "max_tokens" if reply.truncated else "end_turn"


def _usage(req: ChatRequest, reply: Reply, output_tokens: int) -> dict[str, Any]:
    # emptyResponse reports zero usage: the SDK's types require the usage fields to exist.
    return {
        "input_tokens": 0 if reply.empty else req.input_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "output_tokens": output_tokens,
        "service_tier": "standard",
    }


def _message(req: ChatRequest, reply: Reply) -> dict[str, Any]:
    return {
        "id": text.new_id("msg_01", 22),
        "type": "message",
        "role": "assistant",
        "model": req.model,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": _usage(req, reply, len(reply.tokens)),
    }


def _stream_parts(req: ChatRequest, reply: Reply) -> list[Part]:
    timing = reply.timing
    start = _message(req, reply)
    start["usage"] = _usage(req, reply, 0 if reply.empty else 1)  # the real API reports 1 here
    parts: list[Part] = [(timing.ttft, _event("message_start", {"type": "message_start", "message": start}))]
    if not reply.empty:
        block = {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}
        parts.append((timing.ttft, _event("content_block_start", block)))
    parts.append((timing.ttft, _event("ping", {"type": "ping"})))
    for at, tok in zip(reply.offsets(), reply.tokens, strict=True):
        delta = {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": tok}}
        parts.append((at, _event("content_block_delta", delta)))
    end = timing.total
    if not reply.empty:
        parts.append((end, _event("content_block_stop", {"type": "content_block_stop", "index": 0})))
    delta = {
        "type": "message_delta",
        "delta": {"stop_reason": _stop_reason(reply), "stop_sequence": None},
        "usage": {"output_tokens": len(reply.tokens)},
    }
    parts.append((end, _event("message_delta", delta)))
    parts.append((end, _event("message_stop", {"type": "message_stop"})))
    return parts


def models_body() -> bytes:
    data = [
        {"type": "model", "id": m, "display_name": m.replace("-", " ").title(), "created_at": "2025-05-14T00:00:00Z"}
        for m in MODELS
    ]
    return dumps({"data": data, "has_more": False, "first_id": data[0]["id"], "last_id": data[-1]["id"]})

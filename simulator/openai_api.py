"""OpenAI Chat Completions on the wire: request parsing, bodies, SSE chunks, errors."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

from . import errors, text
from .errors import ErrorSpec
from .flow import BadRequest, ChatRequest, Reply
from .responses import JSON, SSE, Part, dumps

FINGERPRINT = "fp_sim0001"
MODELS = ("gpt-4o", "gpt-4o-mini")
_BAD_JSON = ErrorSpec(
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your "
    "HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)",
    "invalid_request_error",
)
_NO_MODEL = ErrorSpec("you must provide a model parameter", "invalid_request_error")
_NO_MESSAGES = ErrorSpec(
    "Missing required parameter: 'messages'.", "invalid_request_error", "missing_required_parameter", "messages"
)
_EMPTY_MESSAGES = ErrorSpec(
    "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
    "invalid_request_error",
    "empty_array",
    "messages",
)


def _max_tokens(body: dict[str, Any]) -> int | ErrorSpec | None:
    # max_completion_tokens replaced max_tokens; both are accepted, the newer one wins.
    name = "max_completion_tokens" if body.get("max_completion_tokens") is not None else "max_tokens"
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        return ErrorSpec(
            f"Invalid type for '{name}': expected an integer.", "invalid_request_error", "invalid_type", name
        )
    if value < 1:
        return ErrorSpec(
            f"Invalid '{name}': integer below minimum value. Expected a value >= 1, but got {value} instead.",
            "invalid_request_error",
            "integer_below_min_value",
            name,
        )
    return value


class OpenAIProvider:
    missing_key = errors.OPENAI_MISSING_KEY

    def new_request_id(self) -> str:
        return text.new_hex("req_")

    def has_key(self, headers: Mapping[str, str]) -> bool:
        auth = headers.get("authorization", "")
        return auth[:7].lower() == "bearer " and bool(auth[7:].strip())

    def parse(self, raw: bytes) -> ChatRequest | BadRequest:
        try:
            body = json.loads(raw)
        except ValueError:
            return BadRequest("", _BAD_JSON)
        if not isinstance(body, dict):
            return BadRequest("", _BAD_JSON)
        model, messages = body.get("model"), body.get("messages")
        if not isinstance(model, str) or not model:
            return BadRequest("", _NO_MODEL)
        if messages is None:
            return BadRequest(model, _NO_MESSAGES)
        if not isinstance(messages, list) or not messages:
            return BadRequest(model, _EMPTY_MESSAGES)
        limit = _max_tokens(body)
        if isinstance(limit, ErrorSpec):
            return BadRequest(model, limit)
        options = body.get("stream_options")
        return ChatRequest(
            model=model,
            stream=body.get("stream") is True,
            max_tokens=limit,
            include_usage=isinstance(options, dict) and options.get("include_usage") is True,
            input_tokens=text.estimate_input_tokens(
                text.content_text(m.get("content")) for m in messages if isinstance(m, dict)
            ),
            prompt=text.last_user_text(messages),
        )

    def error(
        self, status: int, model: str, request_id: str, spec: ErrorSpec | None = None
    ) -> tuple[dict[str, str], bytes]:
        body = errors.openai_body(spec or errors.openai_spec(status), model)
        return {"x-request-id": request_id, **errors.openai_headers(status)}, dumps(body)

    def success(self, req: ChatRequest, reply: Reply, request_id: str) -> tuple[dict[str, str], list[Part], str]:
        headers = {
            "x-request-id": request_id,
            "openai-version": "2020-10-01",
            "openai-processing-ms": str(int(reply.timing.total * 1000)),
        }
        if req.stream:
            return headers, _stream_parts(req, reply), SSE
        return headers, [(reply.timing.total, dumps(_completion(req, reply)))], JSON

    def garbage(self, req: ChatRequest, request_id: str) -> tuple[bytes, str]:
        if req.stream:
            return b'data: {"id":"chatcmpl-\n\n', SSE
        return b"<html><body><h1>502 Bad Gateway</h1></body></html>", JSON


def _usage(req: ChatRequest, completion_tokens: int) -> dict[str, Any]:
    return {
        "prompt_tokens": req.input_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": req.input_tokens + completion_tokens,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def _completion(req: ChatRequest, reply: Reply) -> dict[str, Any]:
    message: dict[str, Any] = {
        "role": "assistant",
        "content": None if reply.empty else "".join(reply.tokens),
        "refusal": None,
        "annotations": [],
    }
    body: dict[str, Any] = {
        "id": text.new_id("chatcmpl-", 29),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": req.model,
        "choices": [
            {"index": 0, "message": message, "logprobs": None, "finish_reason": "length" if reply.truncated else "stop"}
        ],
        "service_tier": "default",
        "system_fingerprint": FINGERPRINT,
    }
    if not reply.empty:
        body["usage"] = _usage(req, len(reply.tokens))
    return body


def _stream_parts(req: ChatRequest, reply: Reply) -> list[Part]:
    base = {
        "id": text.new_id("chatcmpl-", 29),
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": req.model,
        "service_tier": "default",
        "system_fingerprint": FINGERPRINT,
    }
    if req.include_usage:
        base["usage"] = None  # the real API marks every chunk but the last with usage: null

    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        return b"data: " + dumps({**base, "choices": [choice]}) + b"\n\n"

    timing = reply.timing
    parts: list[Part] = [(timing.ttft, chunk({"role": "assistant", "content": "", "refusal": None}))]
    parts += [(at, chunk({"content": tok})) for at, tok in zip(reply.offsets(), reply.tokens, strict=True)]
    parts.append((timing.total, chunk({}, "length" if reply.truncated else "stop")))
    if req.include_usage and not reply.empty:
        usage = {**base, "choices": [], "usage": _usage(req, len(reply.tokens))}
        parts.append((timing.total, b"data: " + dumps(usage) + b"\n\n"))
    parts.append((timing.total, b"data: [DONE]\n\n"))
    return parts


def models_body() -> bytes:
    created = 1715367049
    return dumps(
        {
            "object": "list",
            "data": [{"id": m, "object": "model", "created": created, "owned_by": "system"} for m in MODELS],
        }
    )

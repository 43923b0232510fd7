"""Runs each adapter once at start-up against an in-memory transport, without touching the network.

The SDKs import modules and build their pydantic models lazily, on the first call. Measured here: about
90 ms on the first OpenAI probe and 50 ms on the first Anthropic one (imports, model building), which the
agent would otherwise report as provider latency after every restart. Nothing here is recorded in metrics,
spans or logs.
"""

from __future__ import annotations

import json

import anthropic
import anyio
import httpx2
import openai

from agent.providers import ADAPTERS

_OPENAI_SSE = b"".join(
    b"data: " + json.dumps(chunk).encode() + b"\n\n"
    for chunk in (
        {"id": "w", "object": "chat.completion.chunk", "created": 0, "model": "warmup",
         "choices": [{"index": 0, "delta": {"role": "assistant", "content": "ok"}, "finish_reason": None}]},
        {"id": "w", "object": "chat.completion.chunk", "created": 0, "model": "warmup", "choices": [],
         "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}},
    )
) + b"data: [DONE]\n\n"  # fmt: skip

_ANTHROPIC_EVENTS = (
    ("message_start", {"type": "message_start", "message": {
        "id": "w", "type": "message", "role": "assistant", "model": "warmup", "content": [],
        "stop_reason": None, "stop_sequence": None, "usage": {"input_tokens": 1, "output_tokens": 1}}}),
    ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "ok"}}),
    ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 1}}),
    ("message_stop", {"type": "message_stop"}),
)  # fmt: skip
_ANTHROPIC_SSE = b"".join(f"event: {name}\ndata: {json.dumps(data)}\n\n".encode() for name, data in _ANTHROPIC_EVENTS)


def _answer(request: httpx2.Request) -> httpx2.Response:
    body = _ANTHROPIC_SSE if request.url.path.endswith("/messages") else _OPENAI_SSE
    return httpx2.Response(200, content=body, headers={"content-type": "text/event-stream"})


async def warm_up_sdks() -> dict[str, str]:
    """One in-memory call per SDK, returning each outcome (for tests). Failures are ignored: warming up
    is an optimisation, never a gate."""
    # The in-memory transport skips httpcore's connection pool, whose first lock loads anyio's asyncio
    # backend (about 40 ms of imports); creating any anyio primitive here loads it ahead of time.
    anyio.Event()
    transport = httpx2.MockTransport(_answer)
    clients: dict[str, openai.AsyncOpenAI | anthropic.AsyncAnthropic] = {
        "openai": openai.AsyncOpenAI(
            api_key="warmup",
            base_url="http://warmup.invalid/v1",
            max_retries=0,
            http_client=httpx2.AsyncClient(transport=transport),
        ),
        "anthropic": anthropic.AsyncAnthropic(
            api_key="warmup",
            base_url="http://warmup.invalid",
            max_retries=0,
            http_client=httpx2.AsyncClient(transport=transport),
            open_telemetry=False,
        ),
    }
    outcomes: dict[str, str] = {}
    for kind, client in clients.items():
        try:
            outcomes[kind] = (
                await ADAPTERS[kind](client, "warmup", "system", "user", max_tokens=1, timeout=5.0)
            ).outcome.value
        except Exception as error:
            outcomes[kind] = type(error).__name__
        finally:
            await client.close()
    return outcomes

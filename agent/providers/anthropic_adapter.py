"""Messages over the official `anthropic` SDK, reading the raw SSE events of `messages.create(stream=True)`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from anthropic import AsyncAnthropic

from agent.providers.result import CallResult, StreamProgress
from agent.providers.streaming import consume_stream

REQUEST_ID_HEADER = "request-id"


async def stream_chat(
    client: AsyncAnthropic,
    model: str,
    system: str | None,
    user: str,
    *,
    max_tokens: int,
    timeout: float,
    on_first_token: Callable[[float], None] | None = None,
) -> CallResult:
    """One streamed message, extended thinking off (a probe must not pay for reasoning)."""
    optional: dict[str, Any] = {"system": system} if system else {}

    async def open_stream() -> Any:
        return await client.messages.create(
            model=model,
            max_tokens=max_tokens,
            messages=[{"role": "user", "content": user}],
            stream=True,
            timeout=timeout,
            **optional,
        )

    return await consume_stream(open_stream, _absorb, REQUEST_ID_HEADER, timeout, on_first_token)


def _absorb(progress: StreamProgress, event: Any) -> None:
    if event.type == "message_start":
        message = event.message
        progress.response_model = message.model
        progress.input_tokens = message.usage.input_tokens
        progress.output_tokens = message.usage.output_tokens
    elif event.type == "content_block_delta" and event.delta.type == "text_delta":
        progress.add_text(event.delta.text)
    elif event.type == "message_delta":
        # message_delta carries the cumulative counts, which supersede message_start's.
        progress.output_tokens = event.usage.output_tokens
        if event.usage.input_tokens is not None:
            progress.input_tokens = event.usage.input_tokens

"""Messages over the official `anthropic` SDK, reading the raw SSE events of `messages.create(stream=True)`
(through `with_streaming_response`, decoded as dicts: sse.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from anthropic import AsyncAnthropic

from agent.providers.result import CallResult, StreamProgress
from agent.providers.sse import EventStream
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

    async def open_stream() -> EventStream:
        manager = client.messages.with_streaming_response.create(
            model=model,
            max_tokens=max_tokens,
            messages=[{"role": "user", "content": user}],
            stream=True,
            timeout=timeout,
            **optional,
        )
        return await EventStream(manager).open()

    def absorb(progress: StreamProgress, event: tuple[str | None, Any], response: Any) -> None:
        name, data = event
        if name == "error":
            # What the SDK's own stream raises for an `error` event after HTTP 200 (a status error with 200).
            raise client._make_status_error(f"{data}", body=data, response=response)
        if isinstance(data, dict):
            _absorb(progress, data)

    return await consume_stream(open_stream, absorb, REQUEST_ID_HEADER, timeout, on_first_token)


def _absorb(progress: StreamProgress, event: dict[str, Any]) -> None:
    kind = event.get("type")
    if kind == "message_start":
        message = event["message"]
        progress.response_model = message.get("model")
        progress.input_tokens = message["usage"].get("input_tokens")
        progress.output_tokens = message["usage"].get("output_tokens")
    elif kind == "content_block_delta" and event["delta"].get("type") == "text_delta":
        progress.add_text(event["delta"].get("text") or "")
    elif kind == "message_delta":
        # message_delta carries the cumulative counts, which supersede message_start's.
        usage = event["usage"]
        progress.output_tokens = usage.get("output_tokens")
        if usage.get("input_tokens") is not None:
            progress.input_tokens = usage["input_tokens"]

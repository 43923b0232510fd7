"""Chat Completions over the official `openai` SDK (OpenAI and OpenAI-compatible endpoints)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from openai import APIError, AsyncOpenAI
from openai.types.chat import ChatCompletionMessageParam

from agent.providers.result import CallResult, StreamProgress
from agent.providers.sse import EventStream
from agent.providers.streaming import consume_stream

REQUEST_ID_HEADER = "x-request-id"


async def stream_chat(
    client: AsyncOpenAI,
    model: str,
    system: str | None,
    user: str,
    *,
    max_tokens: int,
    timeout: float,
    token_limit_param: str = "max_tokens",
    on_first_token: Callable[[float], None] | None = None,
) -> CallResult:
    """One streamed chat completion. `token_limit_param` is `max_completion_tokens` for OpenAI itself,
    whose reasoning models refuse `max_tokens`; OpenAI-compatible servers mostly know only `max_tokens`."""
    messages: list[ChatCompletionMessageParam] = []
    if system:
        messages.append({"role": "system", "content": system})
    messages.append({"role": "user", "content": user})
    limit: dict[str, Any] = {token_limit_param: max_tokens}

    async def open_stream() -> EventStream:
        manager = client.chat.completions.with_streaming_response.create(
            model=model,
            # The messages go in `extra_body`, which the SDK sends as given and which takes precedence over
            # the typed field: typed, the SDK walks every message against its TypedDict union per call to
            # rename or reformat fields, of which plain role/content strings have none (~0.2 ms of CPU
            # per message, bench/README.md "Profiles (issue 15)"). The request body is the same bytes.
            messages=(),
            extra_body={"messages": messages},
            stream=True,
            stream_options={"include_usage": True},
            timeout=timeout,
            **limit,
        )
        return await EventStream(manager).open()

    return await consume_stream(open_stream, _absorb, REQUEST_ID_HEADER, timeout, on_first_token)


def _absorb(progress: StreamProgress, event: tuple[str | None, Any], response: Any) -> None:
    _, chunk = event
    if not isinstance(chunk, dict):
        return  # `[DONE]`
    if chunk.get("error"):
        # What the SDK's own stream raises for an error object after HTTP 200.
        error = chunk["error"]
        message = error.get("message") if isinstance(error, dict) else None
        raise APIError(message or "An error occurred during streaming", response.request, body=error)
    if chunk.get("model"):
        progress.response_model = chunk["model"]
    for choice in chunk.get("choices") or ():
        progress.add_text((choice.get("delta") or {}).get("content") or "")
    usage = chunk.get("usage")
    if usage:
        # The final chunk (stream_options.include_usage) has no choices, only usage.
        progress.input_tokens = usage.get("prompt_tokens")
        progress.output_tokens = usage.get("completion_tokens")

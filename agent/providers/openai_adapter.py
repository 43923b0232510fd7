"""Chat Completions over the official `openai` SDK (OpenAI and OpenAI-compatible endpoints)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from openai import AsyncOpenAI
from openai.types.chat import ChatCompletionChunk, ChatCompletionMessageParam

from agent.providers.result import CallResult, StreamProgress
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

    async def open_stream() -> Any:
        return await client.chat.completions.create(
            model=model,
            messages=messages,
            stream=True,
            stream_options={"include_usage": True},
            timeout=timeout,
            **limit,
        )

    return await consume_stream(open_stream, _absorb, REQUEST_ID_HEADER, timeout, on_first_token)


def _absorb(progress: StreamProgress, chunk: ChatCompletionChunk) -> None:
    if chunk.model:
        progress.response_model = chunk.model
    for choice in chunk.choices:
        progress.add_text(choice.delta.content or "")
    if chunk.usage is not None:
        # The final chunk (stream_options.include_usage) has no choices, only usage.
        progress.input_tokens = chunk.usage.prompt_tokens
        progress.output_tokens = chunk.usage.completion_tokens

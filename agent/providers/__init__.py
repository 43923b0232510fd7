"""Provider adapters by endpoint kind, all behind one signature (blackbox_exporter's prober pattern):

async def stream_chat(client, model, system, user, *, max_tokens, timeout, on_first_token=None) -> CallResult
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, Protocol

from agent.providers import anthropic_adapter, openai_adapter
from agent.providers.result import CallResult, Usage


class StreamChat(Protocol):
    async def __call__(
        self,
        client: Any,
        model: str,
        system: str | None,
        user: str,
        *,
        max_tokens: int,
        timeout: float,
        on_first_token: Callable[[float], None] | None = None,
    ) -> CallResult: ...


ADAPTERS: dict[str, StreamChat] = {
    # OpenAI's reasoning models reject `max_tokens`; `max_completion_tokens` works for all its chat models.
    "openai": partial(openai_adapter.stream_chat, token_limit_param="max_completion_tokens"),
    "openai_compatible": openai_adapter.stream_chat,
    "anthropic": anthropic_adapter.stream_chat,
}

__all__ = ["ADAPTERS", "CallResult", "StreamChat", "Usage"]

"""The request each adapter sends is the provider's documented body, built by the real SDK (in-memory transport).

The OpenAI adapter hands the SDK its messages through `extra_body` (openai_adapter.py: the typed field costs
a walk of every message per call); this pins that the body on the wire still carries them, in order."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import anthropic
import httpx2
import openai

from agent.providers import ADAPTERS

_SSE = {
    "openai": b'data: {"choices":[{"delta":{"content":"ok"}}]}\n\ndata: [DONE]\n\n',
    "anthropic": b'event: content_block_delta\ndata: {"type":"content_block_delta","delta":{"type":"text_delta",'
    b'"text":"ok"}}\n\n',
}


def _sent_body(kind: str) -> dict[str, Any]:
    bodies: list[dict[str, Any]] = []

    def answer(request: httpx2.Request) -> httpx2.Response:
        bodies.append(json.loads(request.content))
        content = _SSE.get(kind, _SSE["openai"])
        return httpx2.Response(200, content=content, headers={"content-type": "text/event-stream"})

    async def call() -> None:
        http = httpx2.AsyncClient(transport=httpx2.MockTransport(answer))
        client: Any
        if kind == "anthropic":
            client = anthropic.AsyncAnthropic(api_key="k", base_url="http://x.test", max_retries=0, http_client=http)
        else:
            client = openai.AsyncOpenAI(api_key="k", base_url="http://x.test/v1", max_retries=0, http_client=http)
        result = await ADAPTERS[kind](client, "m-1", "Be brief.", "Say OK", max_tokens=7, timeout=5.0)
        await client.close()
        assert result.outcome.value == "success", result

    asyncio.run(call())
    assert len(bodies) == 1
    return bodies[0]


def test_openai_gets_the_system_and_user_messages_in_order_with_its_token_limit_and_usage():
    assert _sent_body("openai") == {
        "model": "m-1",
        "stream": True,
        "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Say OK"}],
        "max_completion_tokens": 7,
        "stream_options": {"include_usage": True},
    }


def test_an_openai_compatible_server_gets_max_tokens():
    body = _sent_body("openai_compatible")
    assert body["max_tokens"] == 7 and "max_completion_tokens" not in body
    assert body["messages"] == [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Say OK"}]


def test_anthropic_gets_the_system_prompt_apart_from_the_user_message():
    assert _sent_body("anthropic") == {
        "model": "m-1",
        "max_tokens": 7,
        "messages": [{"role": "user", "content": "Say OK"}],
        "stream": True,
        "system": "Be brief.",
    }

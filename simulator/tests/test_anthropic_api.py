"""Anthropic Messages as the official SDK sees it: shapes, the SSE event sequence, ids, errors."""

from __future__ import annotations

import json
from typing import Any

import anthropic
import httpx
import pytest
from anthropic.types import Message, MessageParam, TextBlock

pytestmark = pytest.mark.timeout(20)
USER: list[MessageParam] = [{"role": "user", "content": "Hello there"}]
EXPECTED_EVENTS = [
    "message_start",
    "content_block_start",
    "ping",
    "content_block_delta",
    "content_block_delta",
    "content_block_delta",
    "content_block_stop",
    "message_delta",
    "message_stop",
]


def text_of(message: Message) -> str:
    """The text of the first content block, which must be a text block."""
    block = message.content[0]
    assert isinstance(block, TextBlock), block
    return block.text


def error_body(error: anthropic.APIStatusError) -> dict[str, Any]:
    assert isinstance(error.body, dict), error.body
    return error.body


def sse_events(response: httpx.Response) -> list[tuple[str, dict]]:
    events = []
    for block in response.text.strip().split("\n\n"):
        name_line, data_line = block.split("\n")
        events.append((name_line.removeprefix("event: "), json.loads(data_line.removeprefix("data: "))))
    return events


def test_when_non_streaming_then_the_message_has_the_real_shape(ant: anthropic.Anthropic) -> None:
    raw = ant.messages.with_raw_response.create(model="claude-sonnet-4", max_tokens=100, messages=USER)
    message = raw.parse()
    assert raw.headers["request-id"].startswith("req_")
    assert message._request_id == raw.headers["request-id"]
    assert message.id.startswith("msg_") and message.type == "message" and message.role == "assistant"
    assert message.model == "claude-sonnet-4"
    assert message.stop_reason == "end_turn"
    assert text_of(message)
    assert message.usage.input_tokens > 0
    assert message.usage.output_tokens == len(text_of(message).split())


def test_when_max_tokens_is_reached_then_stop_reason_is_max_tokens(ant: anthropic.Anthropic) -> None:
    message = ant.messages.create(model="claude-sonnet-4", max_tokens=3, messages=USER)
    assert message.stop_reason == "max_tokens"
    assert message.usage.output_tokens == 3 and len(text_of(message).split()) == 3


def test_when_streaming_then_events_follow_the_real_sequence(sim, admin) -> None:
    admin.set("claude-sonnet-4", latencyMs=0, ttftMs=0)
    body = {"model": "claude-sonnet-4", "max_tokens": 3, "messages": USER, "stream": True}
    response = httpx.post(
        f"{sim.url}/v1/messages", json=body, headers={"x-api-key": "k", "anthropic-version": "2023-06-01"}
    )
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["request-id"].startswith("req_")
    events = sse_events(response)
    assert [name for name, _ in events] == EXPECTED_EVENTS
    assert all(data["type"] == name for name, data in events)
    start = events[0][1]["message"]
    assert start["id"].startswith("msg_") and start["content"] == [] and start["usage"]["input_tokens"] > 0
    assert events[3][1]["delta"]["type"] == "text_delta"
    assert events[7][1]["delta"]["stop_reason"] == "max_tokens"
    assert events[7][1]["usage"]["output_tokens"] == 3


def test_when_streaming_with_the_sdk_helper_then_the_final_message_is_complete(ant: anthropic.Anthropic) -> None:
    # `thinking` is accepted and ignored, as the agent may send it.
    with ant.messages.stream(
        model="claude-sonnet-4", max_tokens=2048, messages=USER, thinking={"type": "enabled", "budget_tokens": 1024}
    ) as stream:
        streamed = "".join(stream.text_stream)
        final = stream.get_final_message()
    plain = ant.messages.create(model="claude-sonnet-4", max_tokens=2048, messages=USER)
    assert streamed == text_of(final) == text_of(plain)
    assert final.usage.output_tokens == plain.usage.output_tokens


def test_when_listing_models_then_the_anthropic_list_shape(ant: anthropic.Anthropic) -> None:
    assert "claude-sonnet-4" in [m.id for m in ant.models.list()]


def test_when_the_model_name_starts_with_missing_then_not_found(ant: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.NotFoundError) as caught:
        ant.messages.create(model="missing-claude", max_tokens=5, messages=USER)
    assert error_body(caught.value)["error"] == {"type": "not_found_error", "message": "model: missing-claude"}
    assert caught.value.request_id == caught.value.response.headers["request-id"]


def test_when_no_api_key_then_authentication_error(ant: anthropic.Anthropic) -> None:
    # This SDK sends the key both as x-api-key and as a Bearer token: drop both.
    no_key = {"x-api-key": anthropic.Omit(), "Authorization": anthropic.Omit()}
    with pytest.raises(anthropic.AuthenticationError) as caught:
        ant.messages.create(model="claude-sonnet-4", max_tokens=5, messages=USER, extra_headers=no_key)
    assert error_body(caught.value)["error"]["type"] == "authentication_error"


def test_when_max_tokens_is_missing_then_bad_request(sim) -> None:
    response = httpx.post(
        f"{sim.url}/v1/messages",
        json={"model": "claude-sonnet-4", "messages": USER},
        headers={"x-api-key": "k", "anthropic-version": "2023-06-01"},
    )
    assert response.status_code == 400
    assert response.json()["error"] == {"type": "invalid_request_error", "message": "max_tokens: Field required"}
    assert response.json()["type"] == "error"

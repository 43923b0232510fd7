"""OpenAI Chat Completions as the official SDK sees it: shapes, streaming, usage, ids, errors."""

from __future__ import annotations

import json
from typing import Any

import httpx
import openai
import pytest
from openai.types.chat import ChatCompletionMessageParam

pytestmark = pytest.mark.timeout(20)
USER: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Hello there"}]


def sse_payloads(response: httpx.Response) -> list[str]:
    return [line[len("data: ") :] for line in response.text.split("\n\n") if line.startswith("data: ")]


def test_when_non_streaming_then_the_completion_has_the_real_shape(oai: openai.OpenAI) -> None:
    raw = oai.chat.completions.with_raw_response.create(model="gpt-4o", messages=USER)
    completion = raw.parse()
    assert raw.headers["x-request-id"].startswith("req_")
    assert completion._request_id == raw.headers["x-request-id"]
    assert completion.id.startswith("chatcmpl-")
    assert completion.object == "chat.completion"
    assert completion.model == "gpt-4o"
    assert completion.system_fingerprint
    assert isinstance(completion.created, int)
    choice = completion.choices[0]
    assert choice.finish_reason == "stop" and choice.message.role == "assistant" and choice.message.content
    usage = completion.usage
    assert usage is not None
    assert usage.prompt_tokens > 0 and usage.completion_tokens == len(choice.message.content.split())
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens


@pytest.mark.parametrize("param", ["max_tokens", "max_completion_tokens"])
def test_when_max_tokens_is_set_then_that_many_tokens_are_emitted(oai: openai.OpenAI, param: str) -> None:
    limit: dict[str, Any] = {param: 3}
    completion = oai.chat.completions.create(model="gpt-4o", messages=USER, **limit)
    assert completion.usage is not None and completion.usage.completion_tokens == 3
    assert len((completion.choices[0].message.content or "").split()) == 3
    assert completion.choices[0].finish_reason == "length"


def test_when_the_prompt_says_reply_with_then_the_model_does(oai: openai.OpenAI) -> None:
    completion = oai.chat.completions.create(
        model="gpt-4o", max_tokens=1, messages=[{"role": "user", "content": "Reply with: ok"}]
    )
    assert completion.choices[0].message.content == "ok"
    assert completion.choices[0].finish_reason == "stop"


def test_when_streaming_with_include_usage_then_chunks_follow_the_real_sequence(sim, admin) -> None:
    admin.set("gpt-4o", latencyMs=0, ttftMs=0)
    body = {
        "model": "gpt-4o",
        "messages": USER,
        "stream": True,
        "max_tokens": 4,
        "stream_options": {"include_usage": True},
    }
    response = httpx.post(f"{sim.url}/v1/chat/completions", json=body, headers={"Authorization": "Bearer k"})
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["x-request-id"].startswith("req_")
    payloads = sse_payloads(response)
    assert payloads[-1] == "[DONE]"
    chunks = [json.loads(p) for p in payloads[:-1]]
    assert {c["object"] for c in chunks} == {"chat.completion.chunk"}
    assert len({c["id"] for c in chunks}) == 1 and chunks[0]["id"].startswith("chatcmpl-")
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": "", "refusal": None}
    contents = [c["choices"][0]["delta"]["content"] for c in chunks[1:5]]
    assert len(contents) == 4 and all(contents)
    assert chunks[5]["choices"][0]["finish_reason"] == "length"
    assert all(c["usage"] is None for c in chunks[:-1])
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"]["completion_tokens"] == 4


def test_when_streaming_without_include_usage_then_no_usage_chunk(oai: openai.OpenAI) -> None:
    chunks = list(oai.chat.completions.create(model="gpt-4o", messages=USER, stream=True))
    assert all(c.usage is None and c.choices for c in chunks)
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert streamed == oai.chat.completions.create(model="gpt-4o", messages=USER).choices[0].message.content


def test_when_listing_models_then_the_openai_list_shape(oai: openai.OpenAI) -> None:
    ids = [m.id for m in oai.models.list()]
    assert "gpt-4o" in ids


def test_when_the_model_name_starts_with_missing_then_not_found(oai: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        oai.chat.completions.create(model="missing-gpt", messages=USER)
    assert caught.value.code == "model_not_found"
    assert caught.value.type == "invalid_request_error"
    assert "missing-gpt" in caught.value.message
    assert caught.value.response.headers["x-request-id"].startswith("req_")


def test_when_no_api_key_then_authentication_error(oai: openai.OpenAI) -> None:
    with pytest.raises(openai.AuthenticationError) as caught:
        oai.chat.completions.create(model="gpt-4o", messages=USER, extra_headers={"Authorization": ""})
    assert "You didn't provide an API key" in caught.value.message


@pytest.mark.parametrize(
    ("kwargs", "param", "code"),
    [
        ({"messages": []}, "messages", "empty_array"),
        ({"messages": USER, "max_tokens": 0}, "max_tokens", "integer_below_min_value"),
    ],
)
def test_when_the_request_is_invalid_then_bad_request(oai: openai.OpenAI, kwargs, param, code) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        oai.chat.completions.create(model="gpt-4o", **kwargs)
    assert (caught.value.param, caught.value.code) == (param, code)


def test_when_the_body_is_not_json_then_bad_request(sim) -> None:
    response = httpx.post(
        f"{sim.url}/v1/chat/completions",
        content=b"{nope",
        headers={"Authorization": "Bearer k", "content-type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"

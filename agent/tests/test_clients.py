"""The client cache (one SDK client per distinct endpoint, retries off, bounded, closed on shutdown) and warm-up."""

from __future__ import annotations

import asyncio

import anthropic
import openai

from agent.clients import ClientCache
from agent.schemas import Endpoint
from agent.warmup import warm_up_sdks


def endpoint(base_url: str = "http://a.test/v1", kind: str = "openai", **headers: str) -> Endpoint:
    fields = {"name": "p", "kind": kind, "base_url": base_url, "api_key_env": "K_API_KEY", "headers": headers}
    return Endpoint.model_validate(fields)


def test_clients_are_reused_per_endpoint_and_built_with_retries_off():
    async def scenario() -> None:
        cache = ClientCache()
        first = cache.get(endpoint(), "k")
        assert cache.get(endpoint(), "k") is first
        assert isinstance(first, openai.AsyncOpenAI) and first.max_retries == 0
        assert cache.get(endpoint(x_extra="v"), "k") is not first, "headers are part of the endpoint"
        claude = cache.get(endpoint("http://a.test", kind="anthropic"), "k")
        assert isinstance(claude, anthropic.AsyncAnthropic) and claude.max_retries == 0
        assert claude.open_telemetry["traces"]["enabled"] is False, "the agent's span is the only CLIENT span"
        assert len(cache) == 3
        await cache.close_all()
        assert first.is_closed() and claude.is_closed()

    asyncio.run(scenario())


def test_when_the_key_changes_then_the_client_is_rebuilt_and_the_old_one_closed_at_shutdown():
    async def scenario() -> None:
        cache = ClientCache(retire_delay_s=3600)
        old = cache.get(endpoint(), "k1")
        new = cache.get(endpoint(), "k2")
        assert new is not old and new.api_key == "k2" and len(cache) == 1
        await cache.close_all()
        assert old.is_closed() and new.is_closed()

    asyncio.run(scenario())


def test_when_more_endpoints_than_the_bound_arrive_then_the_least_recent_is_retired():
    async def scenario() -> None:
        cache = ClientCache(max_clients=2, retire_delay_s=0)
        oldest = cache.get(endpoint("http://a.test/v1"), "k")
        cache.get(endpoint("http://b.test/v1"), "k")
        cache.get(endpoint("http://c.test/v1"), "k")
        assert len(cache) == 2
        deadline = asyncio.get_running_loop().time() + 2.0  # the grace period is zero here
        while not oldest.is_closed() and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.01)
        assert oldest.is_closed()
        await cache.close_all()

    asyncio.run(scenario())


def test_the_start_up_warm_up_runs_both_sdks_end_to_end_in_memory():
    assert asyncio.run(warm_up_sdks()) == {"openai": "success", "anthropic": "success"}

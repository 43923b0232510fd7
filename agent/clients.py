"""One long-lived SDK client per configured provider endpoint, reused across calls and models.

Creating a client per call would pay TLS and TCP set-up on every probe and distort its latency; the cache
keeps connections alive. Every client has `max_retries=0`: one probe is one attempt, and the service, not
the SDK, decides what a failure means.

Why per endpoint, not per model (issue 15): with 1,000 monitored models a client per model thrashed the
cache's bound, so nearly every probe built a new SDK client and retired the old one with its connection
pool for minutes; the agent's CPU per probe nearly tripled and its event loop starved. The cache is now
bounded by the configured providers, which only the configuration file names.

The bulkhead of issue 11 (hung `gpt-4o` calls filled a shared pool of 100, so a fallback to
`gpt-4o-mini` on the same endpoint waited until the start's deadline) is kept by admission (admission.py),
not by separate pools: each pool holds as many connections as the agent admits calls in flight
(`max_calls`, this worker's share), so no admitted call ever waits for a connection, and one model can
hold at most its per-model limit of them, leaving the rest free for the other models.

Transport (issue 15): each client sends over aiohttp (the SDKs' documented `DefaultAioHttpClient`, the
`aiohttp` extra) instead of their default httpx2 -> httpcore2 -> anyio -> h11 stack, which was most of
the agent's remaining CPU per call (bench/README.md, "Profiles (issue 15)"). The SDKs still build, sign
and send the request and raise their own typed errors; the same `Limits` size aiohttp's pool
(`max_connections` -> its `limit`, `keepalive_expiry` -> its `keepalive_timeout`; aiohttp has no cap on
idle connections below the pool size) and the same SSL context verifies. The adapter's exception types
differ from httpx's; taxonomy.py maps them.
"""

from __future__ import annotations

import asyncio
import ssl
from collections import OrderedDict
from typing import Any

import anthropic
import httpx2
import openai

from agent.schemas import MAX_TIMEOUT_MS, Endpoint
from agent.settings import DEFAULT_MAX_CALLS

# Endpoints come only from the configuration file, so a handful at most; the bound is a backstop.
MAX_CLIENTS = 128
# Longer than the longest call the API accepts, so no in-flight call loses its client.
RETIRE_DELAY_S = MAX_TIMEOUT_MS / 1000 + 60
# An idle connection is closed after this long (aiohttp's `keepalive_timeout`).
KEEPALIVE_EXPIRY_S = 60.0
EndpointKey = tuple[str, str, str, tuple[tuple[str, str], ...]]


def endpoint_key(endpoint: Endpoint) -> EndpointKey:
    return (endpoint.kind, endpoint.base_url, endpoint.api_key_env, tuple(sorted(endpoint.headers.items())))


class ClientCache:
    def __init__(
        self,
        max_clients: int = MAX_CLIENTS,
        retire_delay_s: float = RETIRE_DELAY_S,
        max_calls: int = DEFAULT_MAX_CALLS,
    ) -> None:
        """`max_calls`: the calls this process admits at once (admission.py), and so each pool's size."""
        self._clients: OrderedDict[EndpointKey, Any] = OrderedDict()
        self._max_clients = max_clients
        self._retire_delay_s = retire_delay_s
        self._retiring: dict[Any, asyncio.Task[None]] = {}
        # Loading the CA bundle costs ~40 ms of blocked event loop per client; one context serves all.
        self._ssl_context = httpx2.create_ssl_context()
        # aiohttp's pool reads `max_connections` and `keepalive_expiry` only (module docstring).
        self._limits = httpx2.Limits(max_connections=max_calls, keepalive_expiry=KEEPALIVE_EXPIRY_S)

    def __len__(self) -> int:
        return len(self._clients)

    @property
    def retiring(self) -> int:
        """Replaced clients not yet closed (each holds its connection pool until then)."""
        return len(self._retiring)

    def get(self, endpoint: Endpoint, api_key: str) -> Any:
        """The client for `endpoint`, any model; rebuilt if the key in the environment changed since it was made."""
        key = endpoint_key(endpoint)
        client = self._clients.get(key)
        if client is not None and client.api_key == api_key:
            self._clients.move_to_end(key)
            return client
        if client is not None:
            self._retire(self._clients.pop(key))
        client = _build_client(endpoint, api_key, self._ssl_context, self._limits)
        _load_resources(client)
        self._clients[key] = client
        while len(self._clients) > self._max_clients:
            self._retire(self._clients.popitem(last=False)[1])
        return client

    async def close_all(self) -> None:
        for task in self._retiring.values():
            task.cancel()
        clients = [*self._clients.values(), *self._retiring]
        self._clients.clear()
        self._retiring.clear()
        await asyncio.gather(*(client.close() for client in clients), return_exceptions=True)

    def _retire(self, client: Any) -> None:
        """Closes a replaced client later: it may still be serving an in-flight call."""

        async def close_when_idle() -> None:
            await asyncio.sleep(self._retire_delay_s)
            self._retiring.pop(client, None)
            await client.close()

        self._retiring[client] = asyncio.get_running_loop().create_task(close_when_idle())


def _build_client(endpoint: Endpoint, api_key: str, ssl_context: ssl.SSLContext, limits: httpx2.Limits) -> Any:
    if endpoint.kind == "anthropic":
        return anthropic.AsyncAnthropic(
            api_key=api_key,
            base_url=endpoint.base_url,
            max_retries=0,
            default_headers=endpoint.headers or None,
            http_client=anthropic.DefaultAioHttpClient(limits=limits, verify=ssl_context),
            # The agent makes its own GenAI CLIENT span for both providers; the SDK's would be a second one,
            # and it would send our trace context to the provider, which the OpenAI SDK does not do.
            open_telemetry={"traces": False, "propagation": False},
        )
    return openai.AsyncOpenAI(
        api_key=api_key,
        base_url=endpoint.base_url,
        max_retries=0,
        default_headers=endpoint.headers or None,
        http_client=openai.DefaultAioHttpClient(limits=limits, verify=ssl_context),
    )


def _load_resources(client: Any) -> None:
    """Touches the chat resource so the SDK's lazy imports (~100 ms for openai) happen now, outside
    the first call's measured latency, instead of being charged to the provider."""
    _ = client.messages if isinstance(client, anthropic.AsyncAnthropic) else client.chat.completions

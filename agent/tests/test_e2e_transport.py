"""Transport failures the simulator cannot stage, through the agent's own SDK clients (clients.py) over real
sockets: a provider that closes or resets the connection before answering, or answers something that is
not HTTP. Each must be `connection`, as with the SDKs' former httpx transport, whatever exception types
the aiohttp adapter each SDK vendors raises for it (taxonomy.py)."""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import Awaitable, Callable

import pytest

from agent.clients import ClientCache
from agent.providers import ADAPTERS, CallResult
from agent.schemas import Endpoint
from agent.taxonomy import Outcome

pytestmark = pytest.mark.timeout(30)
Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def _close(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await _reader.readuntil(b"\r\n\r\n")
    writer.close()


async def _reset(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await _reader.readuntil(b"\r\n\r\n")
    writer.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()  # SO_LINGER 0: the close sends RST


async def _not_http(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await _reader.readuntil(b"\r\n\r\n")
    writer.write(b"NOT HTTP\r\n\r\n")
    await writer.drain()
    writer.close()


CASES = [("closed before answering", _close), ("reset before answering", _reset), ("not HTTP", _not_http)]


async def _call_through(kind: str, handler: Handler) -> CallResult:
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    base_url = f"http://127.0.0.1:{port}" + ("" if kind == "anthropic" else "/v1")
    fields = {"name": "p", "kind": kind, "base_url": base_url, "api_key_env": "K_API_KEY", "headers": {}}
    cache = ClientCache()
    try:
        client = cache.get(Endpoint.model_validate(fields), "k")
        result = await ADAPTERS[kind](client, "m", None, "Say OK", max_tokens=5, timeout=5.0)
    finally:
        await cache.close_all()
        server.close()
    return result


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
@pytest.mark.parametrize(("case", "handler"), CASES, ids=[c[0] for c in CASES])
def test_when_the_provider_connection_fails_before_an_answer_then_the_outcome_is_connection(kind, case, handler):
    result = asyncio.run(_call_through(kind, handler))
    assert (result.outcome, result.http_status) == (Outcome.CONNECTION, None), (case, result)
    assert result.latency_ms < 5000, "failed at once, not at the deadline"

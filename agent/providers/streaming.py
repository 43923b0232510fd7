"""The timing and failure skeleton every adapter shares: open a stream, read it under one hard deadline.

The SDK timeout alone is not a deadline: httpx applies it per read, so a server that trickles a byte
every few seconds would never time out. `asyncio.timeout` bounds the whole call, connect to last chunk.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Protocol

from agent.providers.result import CallResult, StreamProgress
from agent.taxonomy import Failure, Outcome, classify_exception


class SdkStream(Protocol):
    """What both SDKs' AsyncStream offer: the HTTP response, async iteration, and close."""

    response: Any

    def __aiter__(self) -> AsyncIterator[Any]: ...

    async def close(self) -> None: ...


async def consume_stream(
    open_stream: Callable[[], Awaitable[SdkStream]],
    absorb: Callable[[StreamProgress, Any, Any], None],
    request_id_header: str,
    timeout: float,
    on_first_token: Callable[[float], None] | None = None,
) -> CallResult:
    """Opens the stream, feeds each event (with the HTTP response) to `absorb`, and returns what was measured.

    Cancelling the task that awaits this closes the stream (finally), and with it the provider
    connection: that is how a call the service gave up on stops costing tokens."""
    progress = StreamProgress(on_first_token=on_first_token)
    stream: SdkStream | None = None
    try:
        async with asyncio.timeout(timeout):
            stream = await open_stream()
            progress.http_status = stream.response.status_code
            progress.request_id = stream.response.headers.get(request_id_header)
            response = stream.response
            async for event in stream:
                absorb(progress, event, response)
        progress.finish()
        return progress.result(require_text=False)
    except TimeoutError:
        progress.finish()
        message = f"no complete answer within {timeout:g} s"
        return progress.failed(Failure(Outcome.TIMEOUT, None, progress.request_id, message))
    except Exception as exc:  # every failure becomes an outcome class; nothing escapes as a 500
        progress.finish()
        return progress.failed(classify_exception(exc))
    finally:
        if stream is not None:
            await _close_quietly(stream)


async def _close_quietly(stream: SdkStream) -> None:
    # Closing releases the connection of an abandoned stream; a failure to close changes no measurement.
    with contextlib.suppress(Exception):
        await stream.close()

"""Has the caller hung up? Asked right before a provider call, so work nobody reads costs nothing.

The service ends the calls it stopped waiting for by closing their connections (a frozen agent found by
its liveness check, a hedge won). An agent frozen meanwhile (SIGSTOP) finds each request and its closed
connection queued together when it resumes, and the event loop hands them over in order: the request
reaches the app first; end-of-file is read on a later turn, the server's `connection_lost` runs the turn
after, and a task waiting on `http.disconnect` wakes the turn after that. So the check first lets the loop
run those turns (microseconds when idle), then asks.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from starlette.requests import Request

# The turns from a request reaching the app to a waiter on its hang-up waking (above), with a margin: in
# agent/tests/test_e2e_hang_up.py (uvloop, the agent's loop) 0 or 1 turn let some hung-up calls through, 2 caught all.
LOOP_TURNS = 4


async def _let_queued_io_land() -> None:
    for _ in range(LOOP_TURNS):
        await asyncio.sleep(0)


def request_gone(request: Request) -> Callable[[], Awaitable[bool]]:
    """For a plain route: whether the server has seen the caller's connection close."""

    async def gone() -> bool:
        await _let_queued_io_land()
        return await request.is_disconnected()

    return gone


def task_done(hang_up: asyncio.Task[None]) -> Callable[[], Awaitable[bool]]:
    """For a streamed route, whose task listening for `http.disconnect` (call_stream.py) ends on a hang-up."""

    async def gone() -> bool:
        await _let_queued_io_land()
        return hang_up.done()

    return gone

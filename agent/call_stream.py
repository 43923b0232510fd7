"""The interview call streamed to the service as NDJSON, cancelled when the service hangs up.

Lines: `{"event": "first_token", "ttftMs": …}` the moment the first content arrives (the service
hedges on it), then `{"event": "result", …InterviewResponse}`. If the service disconnects first (it
gave up on this call: another model won), the call task is cancelled, which closes the SDK stream and
with it the provider connection, so an abandoned call stops costing tokens at once. The hang-up is
listened for before the call task starts, and the call asks whether it came before calling a provider
(hang_up.py): a request that a frozen agent finds already abandoned when it resumes costs nothing.

Starlette only notices a disconnect when it next sends, and nothing is sent while a provider hangs,
so this response listens for `http.disconnect` itself.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from starlette.responses import Response

from agent.calls import CallerGone
from agent.hang_up import task_done
from agent.providers import CallResult

# Runs the call, given what to tell of the first token and how to ask whether the caller hung up.
Run = Callable[[Callable[[float], None], CallerGone], Coroutine[Any, Any, CallResult]]
Render = Callable[[CallResult], dict[str, Any]]
_HEADERS = [(b"content-type", b"application/x-ndjson"), (b"cache-control", b"no-cache")]


def _line(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode() + b"\n"


async def _until_disconnect(receive: Callable[[], Awaitable[dict[str, Any]]]) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


def _ended(events: asyncio.Queue[dict[str, Any] | None]) -> Callable[[asyncio.Task[CallResult]], None]:
    def done(call: asyncio.Task[CallResult]) -> None:
        if not call.cancelled():
            call.exception()  # retrieved: a call dropped for a hang-up ends in CallerGoneError, told to nobody
        events.put_nowait(None)

    return done


class StreamedCall(Response):
    """A Response (so FastAPI returns it as is) that runs the call and streams its events."""

    def __init__(self, run: Run, render: Render, release: Callable[[], None]) -> None:
        """`release` frees the call's admission ticket however the response ends, even if `run` never starts."""
        super().__init__(media_type="application/x-ndjson")
        self._run = run
        self._render = render
        self._release = release

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        events: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        hang_up = asyncio.create_task(_until_disconnect(receive))
        on_first_token = lambda ttft: events.put_nowait({"event": "first_token", "ttftMs": ttft})  # noqa: E731
        call = asyncio.create_task(self._run(on_first_token, task_done(hang_up)))
        call.add_done_callback(_ended(events))
        try:
            await send({"type": "http.response.start", "status": 200, "headers": _HEADERS})
            while (event := await self._next(events, hang_up)) is not None:
                await send({"type": "http.response.body", "body": _line(event), "more_body": True})
            if hang_up.done():
                return
            result = {"event": "result", **self._render(call.result())}
            await send({"type": "http.response.body", "body": _line(result), "more_body": False})
        finally:
            hang_up.cancel()
            call.cancel()
            self._release()

    @staticmethod
    async def _next(events: asyncio.Queue[dict[str, Any] | None], hang_up: asyncio.Task[None]) -> dict[str, Any] | None:
        """The next event, or None when the call is done or the service hung up."""
        getter = asyncio.ensure_future(events.get())
        await asyncio.wait({getter, hang_up}, return_when=asyncio.FIRST_COMPLETED)
        if not getter.done():
            getter.cancel()
            return None
        return getter.result()

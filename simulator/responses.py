"""An ASGI response whose parts are sent at planned times, or cut off to simulate a dropped connection."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

Receive = Callable[[], Awaitable[dict[str, Any]]]

Send = Callable[[dict[str, Any]], Awaitable[None]]
Part = tuple[float, bytes]  # (seconds after the request arrived, bytes to send then)

JSON = "application/json"
SSE = "text/event-stream; charset=utf-8"
_ENCODE = json.JSONEncoder(separators=(",", ":")).encode  # one encoder: json.dumps builds one per call
_EARLY = 0.0005  # parts due within this are sent now: sleeping for less costs more than it buys


def dumps(obj: Any) -> bytes:
    """Compact JSON bytes, as the providers send them."""
    return _ENCODE(obj).encode()


class TimedResponse:
    """Sends status and headers together with the first part, at that part's time.

    `complete=False` returns before the end of the body; uvicorn then closes the socket, which
    clients see as a connection dropped mid-response (the `status: 0` fault).

    `wait` (a hang) is awaited before the first part. If the client hangs up before the last part,
    sending stops and `on_disconnect` is called: the `cancelled` counter, which shows that a caller
    that gave up really closed its connection to the provider.
    """

    def __init__(
        self,
        start: float,
        status: int,
        headers: dict[str, str],
        parts: list[Part],
        media_type: str = JSON,
        *,
        complete: bool = True,
        declared_length: int | None = None,
        wait: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.start = start
        self.wait = wait
        self.on_disconnect: Callable[[], None] | None = None
        self.status = status
        self.parts = parts
        self.complete = complete
        headers = {"content-type": media_type, **headers}
        if media_type == JSON:
            # A cut-off body declares its full length, so the client knows it was truncated.
            sent = sum(len(p) for _, p in parts)
            headers["content-length"] = str(declared_length if declared_length is not None else sent)
        else:
            headers["cache-control"] = "no-cache"
        self.raw_headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]

    async def __call__(self, scope: Any, receive: Receive, send: Send) -> None:
        if not self.parts[-1][0] and self.wait is None:
            await self._send_parts(send)  # nothing to wait for: no watcher task to pay for
            return
        body = asyncio.ensure_future(self._send_parts(send))
        hang_up = asyncio.ensure_future(_until_disconnect(receive))
        await asyncio.wait({body, hang_up}, return_when=asyncio.FIRST_COMPLETED)
        if body.done():
            hang_up.cancel()
            body.result()
            return
        body.cancel()
        if self.on_disconnect is not None:
            self.on_disconnect()

    async def _send_parts(self, send: Send) -> None:
        if self.wait is not None:
            await self.wait()
            self.start = asyncio.get_running_loop().time()
        loop = asyncio.get_running_loop()
        buffer: list[bytes] = []
        started = False
        for due, chunk in self.parts:
            wait = self.start + due - loop.time()
            if wait > _EARLY:
                if buffer:
                    await self._flush(send, buffer, started, more=True)
                    started, buffer = True, []
                await asyncio.sleep(wait)
            buffer.append(chunk)
        await self._flush(send, buffer, started, more=not self.complete)

    async def _flush(self, send: Send, buffer: list[bytes], started: bool, more: bool) -> None:
        if not started:
            await send({"type": "http.response.start", "status": self.status, "headers": self.raw_headers})
        await send({"type": "http.response.body", "body": b"".join(buffer), "more_body": more})


async def _until_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


def immediate(status: int, headers: dict[str, str], body: bytes, start: float = 0.0) -> TimedResponse:
    """A response sent at once (part time 0 is always in the past)."""
    return TimedResponse(start, status, headers, [(0.0, body)])

"""One HTTP request played to an ASGI app as uvicorn hands it over, and the answer it sent, as raw messages
(so a caller that hangs up can be played, and no HTTP client's cost is counted): for the fast-path test
(test_fast_calls.py) and the route-cost benchmark (bench/agent_route_cost.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

HOST = "testserver"
ASGIApp = Callable[[MutableMapping[str, Any], Any, Any], Awaitable[None]]


@dataclass(frozen=True)
class Answer:
    status: int | None
    headers: list[tuple[bytes, bytes]]
    body: bytes
    raised: str | None  # the exception the app let out (after its answer started), by class name


async def exchange(
    app: ASGIApp, path: str, body: bytes, headers: list[tuple[bytes, bytes]], *, method: str = "POST",
    hang_up: bool = False,
) -> Answer:  # fmt: skip
    """One request as uvicorn hands it to the app; with `hang_up`, the caller is gone once it has sent it."""
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
        "path": path, "raw_path": path.encode(), "root_path": "", "query_string": b"",
        "headers": [(b"host", HOST.encode()), *headers], "client": ("127.0.0.1", 50000), "server": (HOST, 80),
    }  # fmt: skip
    pending = [{"type": "http.request", "body": body, "more_body": False}]
    sent: list[MutableMapping[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if pending:
            return pending.pop(0)
        if hang_up:
            return {"type": "http.disconnect"}
        await asyncio.Event().wait()  # the caller stays until the answer is complete
        raise AssertionError("unreachable")

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    raised = None
    try:
        await app(scope, receive, send)
    except Exception as exc:  # compared, not hidden: both apps must let out the same
        raised = type(exc).__name__
    start = next((message for message in sent if message["type"] == "http.response.start"), None)
    content = b"".join(message.get("body", b"") for message in sent if message["type"] == "http.response.body")
    if start is None:
        return Answer(None, [], content, raised)
    return Answer(start["status"], list(start["headers"]), content, raised)

"""Who may ask the agent to spend a key: only the service, under a name the operator allowed.

A pure ASGI middleware (no per-request task, unlike BaseHTTPMiddleware). Every request must carry a
`Host` the agent answers to, so a web page that rebinds its own DNS name to 127.0.0.1 is refused; every
call path also needs the shared token, compared in constant time. `/healthz` and `/metrics` need no
token (launchers and Prometheus poll them; they make no call and hold no secret) but still the Host check,
and a wrong token sent to them is refused too, so the service's readiness check finds a token mismatch.
"""

from __future__ import annotations

import hmac
import json
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

OPEN_PATHS = frozenset({"/healthz", "/metrics"})
# Scope key: perf_counter() when the request reached the app (this middleware runs first), from which
# the agent's own queueing before the provider call is measured (calls.perform_call).
RECEIVED_AT = "modelwatch.received_at"


class InternalAccess:
    def __init__(self, app: ASGIApp, *, token: str, allowed_hosts: frozenset[str]) -> None:
        self.app = app
        self._expected = f"Bearer {token}".encode()
        self._allowed_hosts = allowed_hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope[RECEIVED_AT] = time.perf_counter()
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        if host_name(headers.get(b"host", b"").decode("latin-1")) not in self._allowed_hosts:
            await _refuse(send, 400, "invalid Host header: this agent answers only to its configured names")
            return
        authorization = headers.get(b"authorization")
        needs_token = scope["path"] not in OPEN_PATHS or authorization is not None
        if needs_token and not hmac.compare_digest(authorization or b"", self._expected):
            await _refuse(send, 401, "missing or wrong Authorization: Bearer <MODELWATCH_AGENT_TOKEN>")
            return
        await self.app(scope, receive, send)


def host_name(host: str) -> str:
    """The name of a Host header value, lowercase and without its port (`[::1]:8000` gives `::1`)."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else ""
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


async def _refuse(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})

"""The SERVER span of each call request, as a small pure ASGI middleware.

It replaces opentelemetry-instrumentation-fastapi (issue 15): that middleware wrapped every `send` and
`receive`, parsed every header and built a dozen attributes per request, about 7% of the agent's CPU per
call in the profile (bench/README.md). What the traces need is kept: the service's W3C trace context is
continued, the span is named `{method} {route}` (the routes have no path parameters) and current while
the route runs, so the `chat {model}` span is its child, and it carries the method, route and status.
"""

from __future__ import annotations

from typing import Any

from opentelemetry.propagate import extract
from opentelemetry.trace import SpanKind, StatusCode, Tracer

from agent.access import ASGIApp, Message, Receive, Scope, Send

_TRACE_HEADERS = (b"traceparent", b"tracestate")


class ServerSpans:
    def __init__(self, app: ASGIApp, *, tracer: Tracer, untraced: frozenset[str]) -> None:
        self.app = app
        self._tracer = tracer
        self._untraced = untraced

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self._untraced:
            await self.app(scope, receive, send)
            return
        carrier = {name.decode(): value.decode("latin-1") for name, value in scope["headers"] if name in _TRACE_HEADERS}
        method, route = scope["method"], scope["path"]
        attributes: dict[str, Any] = {"http.request.method": method, "http.route": route, "url.path": route}
        with self._tracer.start_as_current_span(
            f"{method} {route}", context=extract(carrier), kind=SpanKind.SERVER, attributes=attributes
        ) as span:

            async def send_with_status(message: Message) -> None:
                if message["type"] == "http.response.start":
                    status = message["status"]
                    span.set_attribute("http.response.status_code", status)
                    if status >= 500:
                        span.set_status(StatusCode.ERROR)
                await send(message)

            await self.app(scope, receive, send_with_status)

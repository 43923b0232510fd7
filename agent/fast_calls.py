"""The call routes without FastAPI's per-request layers (issue 15): a pure ASGI dispatcher in front of it.

FastAPI spends on every call its routing, a Request, dependency solving, `json.loads` and a validation
of the parsed body (with uvicorn and starlette, 10-19% of the agent's samples in bench/README.md). This
middleware takes exactly the POSTs of `routes`, reads the body, validates it with the route's own
pydantic model (`model_validate_json`: one pass over the bytes) and calls the route's own endpoint, the
function FastAPI declares, which keeps the routes, and with them the OpenAPI contract.

It answers only what it answers the same as FastAPI: a request it does not take (another path or
method, a body that is not plain JSON, a body that fails validation, a client gone while sending it) is
handed to FastAPI with the bytes already read replayed, so every refusal is FastAPI's own answer. An
exception an endpoint raises goes to the handler the app registered for its class, as Starlette's
ExceptionMiddleware would; any other propagates to Starlette's ServerErrorMiddleware (a 500), which
wraps every middleware. It sits inside InternalAccess and ServerSpans, so the Host and token checks,
the SERVER span and the metrics are the same on both paths (agent/tests/test_fast_calls.py compares).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError
from starlette.requests import Request

from agent.access import ASGIApp, Message, Receive, Scope, Send

Endpoint = Callable[[Any, Request], Awaitable[ASGIApp]]
Handler = Callable[[Request, Exception], Awaitable[ASGIApp]]
# The content type the service sends. FastAPI also reads `+json` types and parameters (`; charset=…`)
# as JSON and refuses a body without a content type: all of those take FastAPI's path.
_JSON = b"application/json"


@dataclass(frozen=True)
class FastRoute:
    body: type[BaseModel]
    endpoint: Endpoint


class FastCalls:
    def __init__(
        self, app: ASGIApp, *, routes: Mapping[str, FastRoute], handlers: Mapping[Any, Callable[..., Any]]
    ) -> None:
        """`routes` by path (POST only); `handlers` are the app's exception handlers (`app.exception_handlers`)."""
        self.app = app
        self._routes = routes
        self._handlers = {cls: handler for cls, handler in handlers.items() if isinstance(cls, type)}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = self._routes.get(scope["path"]) if scope["type"] == "http" and scope["method"] == "POST" else None
        if route is None or not _plain_json(scope["headers"]):
            await self.app(scope, receive, send)
            return
        received, body = await _read_body(receive)
        parsed = _validated(route.body, body)
        if parsed is None:
            await self.app(scope, _replaying(received, receive), send)
            return
        request = Request(scope, receive)
        try:
            response = await route.endpoint(parsed, request)
        except Exception as exc:
            handler = self._handler_for(exc)
            if handler is None:
                raise
            response = await handler(request, exc)
        try:
            await response(scope, receive, send)
        except Exception as exc:
            # What Starlette says of a handled class once the answer has started: a response here raises
            # only after its start (a JSON answer raises nothing; StreamedCall sends its headers first).
            if self._handler_for(exc) is None:
                raise
            raise RuntimeError("Caught handled exception, but response already started.") from exc

    def _handler_for(self, exc: Exception) -> Handler | None:
        for cls in type(exc).__mro__:  # the most specific registered class, as Starlette looks it up
            if cls in self._handlers:
                return self._handlers[cls]
        return None


def _plain_json(headers: list[tuple[bytes, bytes]]) -> bool:
    for name, value in headers:
        if name == b"content-type":
            return value == _JSON
    return False


async def _read_body(receive: Receive) -> tuple[list[Message], bytes | None]:
    """The messages read and the whole body, or None for the body if the client left before sending it all."""
    received: list[Message] = []
    while True:
        message = await receive()
        received.append(message)
        if message["type"] != "http.request":
            return received, None
        if not message.get("more_body", False):
            break
    if len(received) == 1:
        return received, received[0].get("body", b"")
    return received, b"".join(message.get("body", b"") for message in received)


def _validated(model: type[BaseModel], body: bytes | None) -> BaseModel | None:
    if not body:
        return None
    try:
        return model.model_validate_json(body)
    except ValidationError:
        return None


def _replaying(received: list[Message], receive: Receive) -> Receive:
    """`receive` as if nothing had been read: the messages already read first, then the connection's own."""
    pending = list(received)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay

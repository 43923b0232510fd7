"""The SDK's streamed HTTP response read as server-sent events, each `data` decoded with orjson.

Both SDKs build, sign and send the request (`with_streaming_response.create(stream=True)`: the official
API for a raw streamed response) and raise their own typed errors for an error status, as before. Only
the reading of the event stream is ours: the SDKs turn every chunk into a pydantic-like model through
generic type introspection, which was 40% of the agent's CPU per interview call (about 0.2 ms per chunk,
profile in bench/README.md). The adapters read the few fields they need from the decoded dicts instead.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import orjson


class EventStream:
    """`async for event, data in stream`: `event` is the SSE `event:` field (None when absent), `data`
    the decoded JSON of the `data:` lines, or `"[DONE]"` for OpenAI's end marker. Lines are split from the
    body's bytes (no text decoding, no line decoder: each layer cost per chunk)."""

    def __init__(self, manager: Any) -> None:
        self._manager = manager  # the SDK's AsyncResponseContextManager
        self.response: Any = None

    async def open(self) -> EventStream:
        """Sends the request; the SDK raises its status error here for a non-2xx answer."""
        self.response = (await self._manager.__aenter__()).http_response
        return self

    async def __aiter__(self) -> AsyncIterator[tuple[str | None, Any]]:
        event: str | None = None
        data: list[bytes] = []
        pending = b""
        # Bytes split at b"\n" (a trailing b"\r" dropped): both providers end lines with \n or \r\n. Read to
        # the end even after a final event, so an HTTP/1.1 connection can be reused.
        async for chunk in self.response.aiter_bytes():
            *lines, pending = (pending + chunk).split(b"\n")
            for raw in lines:
                line = raw[:-1] if raw.endswith(b"\r") else raw
                if not line:
                    if data:
                        yield event, _decode(b"\n".join(data))
                    event, data = None, []
                elif line.startswith(b"data:"):
                    data.append(line[6:] if line.startswith(b"data: ") else line[5:])
                elif line.startswith(b"event:"):
                    event = line[6:].strip().decode()
        if data:
            yield event, _decode(b"\n".join(data))

    async def close(self) -> None:
        await self._manager.__aexit__(None, None, None)


def _decode(data: bytes) -> Any:
    if data.startswith(b"[DONE]"):
        return "[DONE]"
    return orjson.loads(data)  # orjson.JSONDecodeError is a json.JSONDecodeError: an unparsable answer

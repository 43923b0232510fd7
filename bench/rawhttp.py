"""A minimal HTTP/1.1 keep-alive client on asyncio streams, for the load generator.

Why not httpx: on this 2-core machine httpx (httpcore's pool) spent several ms of CPU per request
once hundreds of connections were open, enough to make the generator the bottleneck it is meant
to measure. This client does only what the benchmark needs: POST/GET with a JSON body, responses
framed by Content-Length or chunked encoding, one request per connection at a time, idle
connections reused (LIFO), no connection limit (an open-loop generator must never queue).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


class HttpError(Exception):
    """The connection failed or the answer was not valid HTTP/1.1."""


@dataclass
class Response:
    status_code: int
    content: bytes
    retry_after: str | None = None  # the one header the benchmark reads (back-pressure refusals)

    def json(self) -> Any:
        return json.loads(self.content)


class _Conn:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def request(self, head: bytes, body: bytes) -> tuple[Response, bool]:
        self.writer.write(head + body)
        status_line = await self.reader.readline()
        if not status_line:
            raise HttpError("connection closed before the status line")
        parts = status_line.split(None, 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
            raise HttpError(f"bad status line {status_line[:80]!r}")
        length, chunked, close, retry_after = None, False, False, None
        while (line := await self.reader.readline()) not in (b"\r\n", b"\n", b""):
            name, _, value = line.partition(b":")
            name, value = name.strip().lower(), value.strip()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
            elif name == b"connection" and value.lower() == b"close":
                close = True
            elif name == b"retry-after":
                retry_after = value.decode("latin-1")
        if chunked:
            content = await self._chunked()
        elif length is not None:
            content = await self.reader.readexactly(length)
        else:
            content, close = await self.reader.read(), True
        return Response(int(parts[1]), content, retry_after), not close

    async def _chunked(self) -> bytes:
        out = bytearray()
        while True:
            size = int((await self.reader.readline()).split(b";")[0].strip(), 16)
            if size == 0:
                while (await self.reader.readline()) not in (b"\r\n", b""):
                    pass
                return bytes(out)
            out += await self.reader.readexactly(size)
            await self.reader.readexactly(2)

    def close(self) -> None:
        self.writer.close()


class Client:
    """`async with Client(base_url) as c: r = await c.post("/path", json={...})`."""

    def __init__(self, base_url: str) -> None:
        u = urlsplit(base_url)
        self.host, self.port = u.hostname or "127.0.0.1", u.port or 80
        self.host_header = f"{self.host}:{self.port}".encode()
        self.idle: list[_Conn] = []
        self.opened = 0
        # Sent with every request, like httpx's client headers (the agent's bearer token).
        self.headers: dict[str, str] = {}

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        for c in self.idle:
            c.close()
        self.idle.clear()

    async def post(self, path: str, json: Any = None, headers: dict[str, str] | None = None) -> Response:
        return await self.request("POST", path, json, headers)

    async def get(self, path: str, headers: dict[str, str] | None = None) -> Response:
        return await self.request("GET", path, None, headers)

    async def request(self, method: str, path: str, payload: Any, headers: dict[str, str] | None) -> Response:
        body = b"" if payload is None else json.dumps(payload, separators=(",", ":")).encode()
        lines = [f"{method} {path} HTTP/1.1", f"host: {self.host_header.decode()}", f"content-length: {len(body)}"]
        if payload is not None:
            lines.append("content-type: application/json")
        lines += [f"{k}: {v}" for k, v in {**self.headers, **(headers or {})}.items()]
        head = ("\r\n".join(lines) + "\r\n\r\n").encode()
        conn = self.idle.pop() if self.idle else None
        reused = conn is not None
        if conn is None:
            conn = await self._open()
        try:
            response, keep = await conn.request(head, body)
        except (OSError, asyncio.IncompleteReadError, HttpError, ValueError) as exc:
            conn.close()
            if reused and isinstance(exc, (ConnectionResetError, asyncio.IncompleteReadError, HttpError)):
                # The server closed an idle keep-alive connection just as we reused it: retry once on a new one.
                return await self._retry(head, body)
            raise HttpError(f"{type(exc).__name__}: {exc}") from exc
        except BaseException:
            conn.close()  # cancelled (timeout): the connection is in an unknown state
            raise
        if keep:
            self.idle.append(conn)
        else:
            conn.close()
        return response

    async def _retry(self, head: bytes, body: bytes) -> Response:
        conn = await self._open()
        try:
            response, keep = await conn.request(head, body)
        except BaseException:
            conn.close()
            raise
        (self.idle.append(conn) if keep else conn.close())
        return response

    async def _open(self) -> _Conn:
        try:
            reader, writer = await asyncio.open_connection(self.host, self.port, limit=1 << 20)
        except OSError as exc:
            raise HttpError(f"connect: {exc}") from exc
        self.opened += 1
        return _Conn(reader, writer)

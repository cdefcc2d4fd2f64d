"""HTTP/1.1 on raw asyncio streams: bounded request reading and byte-exact responses."""

from __future__ import annotations

import asyncio
import json
import socket
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, urlsplit

MAX_HEAD = 64 * 1024
MAX_BODY = 2 * 1024 * 1024
READ_TIMEOUT_S = 30.0

Headers = Sequence[tuple[str, "str | bytes"]]


@dataclass
class Request:
    """One parsed request; header names are lower-case, values decoded as latin-1."""

    method: str
    target: str
    headers: dict[str, str]
    raw_head: bytes
    body: bytes = b""
    path: str = field(init=False)
    query: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        parts = urlsplit(self.target)
        self.path = parts.path
        self.query = dict(parse_qsl(parts.query))

    def json(self) -> Any:
        """The body as JSON, or None."""
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    @property
    def is_upgrade(self) -> bool:
        return self.headers.get("upgrade", "").lower() == "websocket"


@dataclass
class Conn:
    """The two ends of one client connection."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    def reset(self) -> None:
        """Close with a TCP RST (SO_LINGER 0) instead of an orderly FIN."""
        sock = self.writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.writer.transport.abort()


async def read_request(reader: asyncio.StreamReader,
                       timeout_s: float = READ_TIMEOUT_S) -> Request | None:
    """The next request on the connection, or None (closed, too big, malformed or too slow)."""
    try:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout_s)
        lines = head[:-4].decode("latin-1").split("\r\n")
        method, target, _version = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        body = await asyncio.wait_for(_read_body(reader, headers), timeout_s)
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, asyncio.TimeoutError,
            ConnectionError, ValueError):
        return None
    return Request(method, target, headers, head, body)


async def _read_body(reader: asyncio.StreamReader, headers: dict[str, str]) -> bytes:
    if "chunked" in headers.get("transfer-encoding", "").lower():
        chunks: list[bytes] = []
        total = 0
        for _ in range(MAX_BODY):
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            total += size
            if total > MAX_BODY:
                break
            chunk = await reader.readexactly(size + 2)
            if size == 0:
                return b"".join(chunks)
            chunks.append(chunk[:-2])
        raise ValueError("chunked body over the cap")
    length = int(headers.get("content-length") or 0)
    if not 0 <= length <= MAX_BODY:
        raise ValueError("body length out of bounds")
    return await reader.readexactly(length)


def head(status: int, headers: Headers = (), reason: str | None = None) -> bytes:
    """A status line and headers, exactly as given (no Content-Length added)."""
    phrase = reason if reason is not None else _reason(status)
    lines = [f"HTTP/1.1 {status} {phrase}".encode("latin-1")]
    for name, value in headers:
        encoded = value if isinstance(value, bytes) else str(value).encode("latin-1", "replace")
        lines.append(name.encode("latin-1") + b": " + encoded)
    return b"\r\n".join(lines) + b"\r\n\r\n"


def response(status: int, body: bytes = b"", content_type: str = "application/json",
             headers: Headers = ()) -> bytes:
    """A complete keep-alive response with a correct Content-Length."""
    fixed: Headers = [("Content-Type", content_type), ("Content-Length", str(len(body))),
                      ("Connection", "keep-alive")]
    return head(status, [*fixed, *headers]) + body


def json_body(document: Any) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode()


def json_response(status: int, document: Any, headers: Headers = ()) -> bytes:
    return response(status, json_body(document), "application/json; charset=utf-8", headers)


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"

"""Engine.IO / Socket.IO v4 on the wire: packets, and the two transports a session talks over.

Written by hand on purpose: each layer (handshake, upgrade, namespace connect, events) must be
observable on its own so a failure names the layer that broke. Neither transport follows a
redirect; every receive is bounded by the session's timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import websockets
from websockets.asyncio.client import connect
from websockets.protocol import State

from harness.records.engineio import RECORD_SEPARATOR, handshake_path
from harness.records.http import HttpAnswer, HttpRequest

WS_FRAME_CAP = 256 * 1024
CONNECT, DISCONNECT, EVENT, ACK, CONNECT_ERROR = range(5)  # Socket.IO packet types
CLOSE_ERRORS = (websockets.exceptions.WebSocketException, asyncio.TimeoutError, OSError)
CLIENT_HEADERS = {"ngrok-skip-browser-warning": "1"}


class connect_no_redirect(connect):  # noqa: N801 - websockets' own class is lower-case
    """websockets' connect, except that a redirect is evidence and is never followed."""

    def process_redirect(self, exc: Exception) -> Exception | str:
        return exc


@dataclass(frozen=True)
class SioPacket:
    """A Socket.IO packet: type (0 connect, 1 disconnect, 2 event, 3 ack, 4 connect_error)."""

    type: int
    namespace: str
    ack_id: int | None
    data: Any

    @classmethod
    def parse(cls, text: str) -> SioPacket | None:
        """The Socket.IO packet inside an Engine.IO message packet (`4...`), or None."""
        if not text.startswith("4") or len(text) < 2 or not text[1].isdigit():
            return None
        rest, namespace = text[2:], "/"
        if rest.startswith("/"):
            namespace, _, rest = rest.partition(",")
        digits = ""
        while rest[:1].isdigit():
            digits, rest = digits + rest[0], rest[1:]
        try:
            data = json.loads(rest) if rest else None
        except (ValueError, RecursionError):
            data = rest
        return cls(int(text[1]), namespace, int(digits) if digits else None, data)


def encode(kind: int, namespace: str, data: Any = None, ack_id: int | None = None) -> str:
    """An Engine.IO message carrying a Socket.IO packet."""
    prefix = f"4{kind}" + (f"{namespace}," if namespace != "/" else "")
    return prefix + (str(ack_id) if ack_id is not None else "") + \
        (json.dumps(data) if data is not None else "")


class Transport:
    """Sends and receives Engine.IO packets (strings); answers pings itself."""

    name = "transport"

    async def send(self, packet: str) -> None:
        raise NotImplementedError

    async def receive(self, timeout_s: float) -> str:
        """The next non-ping packet; TimeoutError when none within `timeout_s`."""
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError

    @property
    def closed(self) -> bool:
        """The server ended the session (nothing more can be sent on it)."""
        raise NotImplementedError


class WebSocketTransport(Transport):
    name = "websocket"

    def __init__(self, ws: Any) -> None:
        self.ws = ws

    @property
    def closed(self) -> bool:
        return self.ws.state is not State.OPEN

    async def send(self, packet: str) -> None:
        await self.ws.send(packet)

    async def receive(self, timeout_s: float) -> str:
        deadline = time.perf_counter() + timeout_s
        while True:
            left = max(0.01, deadline - time.perf_counter())
            frame = await asyncio.wait_for(self.ws.recv(), left)
            text = frame if isinstance(frame, str) else frame.decode("utf-8", "backslashreplace")
            if text == "2":
                await self.ws.send("3")
                continue
            if text == "6":
                continue
            return text

    async def close(self) -> None:
        """Say goodbye (Engine.IO's close packet, then the websocket's close frame) and hang
        up without waiting a round trip for the server's close frame: the run needs nothing
        more from this wire."""
        with contextlib.suppress(websockets.exceptions.WebSocketException,
                                 asyncio.TimeoutError, OSError):
            await asyncio.wait_for(self.ws.send("1"), 1)
        closing = asyncio.ensure_future(self.ws.close())
        await asyncio.sleep(0)  # the close frame is written
        self.ws.transport.close()  # what is written goes out first, then the FIN
        with contextlib.suppress(websockets.exceptions.WebSocketException,
                                 asyncio.TimeoutError, OSError):
            await asyncio.wait_for(closing, 2)


Send = Callable[[HttpRequest], Awaitable[HttpAnswer]]


class PollingTransport(Transport):
    """Engine.IO long-polling through the run's HTTP client (so every request is counted)."""

    name = "polling"

    def __init__(self, socket_path: str, sid: str, send_http: Send, suite: str = "socket") -> None:
        self.path = handshake_path(socket_path, "polling", sid)
        self.send_http = send_http
        self.suite = suite
        self.pending: list[str] = []
        self.broken = False

    @property
    def closed(self) -> bool:
        return self.broken

    async def send(self, packet: str) -> None:
        request = HttpRequest("socket:poll-post", "POST", self.path, self.suite,
                              (("content-type", "text/plain;charset=UTF-8"),), packet.encode(),
                              "Engine.IO polling POST")
        answer = await self.send_http(request)
        if answer.status != 200:
            self.broken = True
            raise ConnectionError(f"polling POST answered {answer.status or answer.error}")

    async def receive(self, timeout_s: float) -> str:
        deadline = time.perf_counter() + timeout_s
        while not self.pending:
            left = deadline - time.perf_counter()
            if left <= 0:
                raise asyncio.TimeoutError
            request = HttpRequest("socket:poll-get", "GET", self.path, self.suite,
                                  label="Engine.IO long-poll", timeout_s=left)
            answer = await self.send_http(request)
            if answer.error == "timeout":
                raise asyncio.TimeoutError
            if answer.status != 200:
                self.broken = True
                raise ConnectionError(f"long-poll answered {answer.status or answer.error}")
            for packet in answer.text.split(RECORD_SEPARATOR):
                if packet == "2":
                    await self.send("3")
                elif packet and packet != "6":
                    self.pending.append(packet)
        return self.pending.pop(0)

    async def close(self) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            await self.send("1")

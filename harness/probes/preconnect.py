"""TCP connections opened ahead for the run's websockets.

A websocket pays a TCP handshake (a round trip, more over a long link) before its HTTP upgrade;
opened while the health document and the login are on their way, that round trip is off the
run's critical path. Opening a connection sends no request and nothing the target counts; a
connection that is not used, or that the server closed meanwhile, is never handed out and is
closed when the run ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from urllib.parse import urlsplit

FRESH_S = 10.0  # older connections may have met a server's idle timeout: not handed out


class ConnectionsAhead:
    """Connections to one host and port, opened ahead; `take()` hands out a live one."""

    def __init__(self, url: str, timeout_s: float) -> None:
        parts = urlsplit(url)
        secure = parts.scheme in ("https", "wss")
        self.host = parts.hostname or ""
        try:
            self.port = parts.port or (443 if secure else 80)
        except ValueError:
            self.port = 0
        self.timeout_s = min(timeout_s, 5.0)
        self.disabled = False  # whoever would use them cannot: nothing is opened
        self._opening: list[asyncio.Task[tuple[socket.socket, float] | None]] = []

    def open(self, count: int) -> None:
        """Start opening `count` connections (in the background)."""
        if not self.host or not self.port or self.disabled:
            return
        self._opening += [asyncio.ensure_future(self._connect()) for _ in range(count)]

    async def _connect(self) -> tuple[socket.socket, float] | None:
        loop = asyncio.get_running_loop()
        try:
            infos = await asyncio.wait_for(loop.getaddrinfo(
                self.host, self.port, type=socket.SOCK_STREAM), self.timeout_s)
        except (OSError, asyncio.TimeoutError):
            return None
        family, kind, proto, _, address = infos[0]
        sock = socket.socket(family, kind, proto)
        sock.setblocking(False)
        try:
            await asyncio.wait_for(loop.sock_connect(sock, address), self.timeout_s)
        except (OSError, asyncio.TimeoutError):
            sock.close()
            return None
        return sock, time.monotonic()

    async def take(self) -> socket.socket | None:
        """A connection opened ahead that is fresh and still open, or None (the caller then
        connects as usual). Waits for one still opening: it started earlier than a new one
        would."""
        while self._opening:
            task = self._opening.pop(0)
            with contextlib.suppress(asyncio.CancelledError):
                opened = await task
                if opened is not None and _usable(*opened):
                    return opened[0]
                if opened is not None:
                    opened[0].close()
        return None

    async def close(self) -> None:
        """Close what was opened and not taken."""
        for task in self._opening:
            task.cancel()
        for task in self._opening:
            with contextlib.suppress(asyncio.CancelledError, OSError):
                opened = await task
                if opened is not None:
                    opened[0].close()
        self._opening.clear()


def _usable(sock: socket.socket, opened_at: float) -> bool:
    """Fresh, and the server has neither closed it nor sent anything on it."""
    if time.monotonic() - opened_at > FRESH_S:
        return False
    try:
        sock.recv(1, socket.MSG_PEEK)
    except BlockingIOError:
        return True
    except OSError:
        return False
    return False  # b"" (closed) or unsolicited bytes

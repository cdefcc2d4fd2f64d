"""The websocket upgrade of an Engine.IO session: 101, `2probe` -> `3probe`, then `5`.

What the server did at each step is kept as evidence (its HTTP answer when there was no 101),
and a redirect is never followed. A session that knows its next frame (the authenticated
connect) sends `5` and that frame right behind `2probe`, in the same round trip: servers read
a connection's frames in order, so `5` still comes after the probe they answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import websockets

from harness.probes.socketio_wire import (
    CLIENT_HEADERS,
    WS_FRAME_CAP,
    Transport,
    WebSocketTransport,
    connect_no_redirect,
)
from harness.records.engineio import HandshakeError, parse_open_packet
from harness.records.http import HttpAnswer, HttpRequest
from harness.sanitize.escape import safe_excerpt

CLOSE_ERRORS = (websockets.exceptions.WebSocketException, asyncio.TimeoutError, OSError)


@dataclass
class Upgraded:
    """The upgraded transport (None when the upgrade failed), what was seen, the HTTP answer
    when the server did not switch protocols."""

    wire: Transport | None
    seen: str
    http: HttpAnswer | None = None
    sent_next_at: float | None = None
    unreachable: str = ""  # host:port that refused the connection or could not be reached


async def _open(url: str, path: str, key: str, label: str,
                timeout_s: float, sock: Any = None) -> tuple[Any, Upgraded | None]:
    """The websocket, or (None, what happened instead: the HTTP answer, a timeout, an error)."""
    started = time.perf_counter()
    extra = {"sock": sock} if sock is not None else {}
    try:
        ws = await connect_no_redirect(
            url, additional_headers=CLIENT_HEADERS, open_timeout=timeout_s, close_timeout=2,
            ping_interval=None, compression=None, max_size=WS_FRAME_CAP, proxy=None, **extra)
    except websockets.exceptions.InvalidStatus as exc:
        response = exc.response
        http = HttpAnswer(
            HttpRequest(key, "GET", path, "socket", label=label),
            sent_path=path, status=response.status_code,
            headers={k.lower(): v for k, v in response.headers.raw_items()},
            body=bytes(response.body or b"")[:WS_FRAME_CAP],
            elapsed_s=time.perf_counter() - started)
        return None, Upgraded(None, f"no 101: the server answered {response.status_code}", http)
    except (asyncio.TimeoutError, TimeoutError):
        return None, Upgraded(None, f"timeout: no 101 within {timeout_s:g} s")
    except (websockets.exceptions.WebSocketException, OSError, ValueError) as exc:
        return None, Upgraded(None, f"the upgrade failed: {type(exc).__name__}: {exc}",
                              unreachable=urlsplit(url).netloc if _no_connection(exc) else "")
    return ws, None


def _no_connection(exc: BaseException) -> bool:
    """A connection that was never made (refused, no route, no such host): an outage, not a
    broken upgrade."""
    return isinstance(exc, (ConnectionRefusedError, socket.gaierror)) or \
        isinstance(exc, OSError) and exc.errno in (errno.ECONNREFUSED, errno.EHOSTUNREACH,
                                                   errno.ENETUNREACH)


async def upgrade(url: str, path: str, timeout_s: float, sock: Any = None,
                  then: Callable[[], Awaitable[str | None]] | None = None) -> Upgraded:
    """Open the websocket of an Engine.IO session (over `sock` when one was opened ahead)
    and upgrade it; `then` gives the frame to send right after `5` (None: nothing)."""
    ws, failed = await _open(url, path, "socket:upgrade", "websocket upgrade", timeout_s, sock)
    if failed is not None:
        return failed
    wire = WebSocketTransport(ws)
    sent: list[float] = []
    follow = asyncio.ensure_future(_follow(wire, then, sent)) if then is not None else None
    try:
        await wire.send("2probe")
        if follow is not None:
            await wire.send("5")
        reply = await wire.receive(timeout_s)
    except (asyncio.TimeoutError, TimeoutError):
        await _cancel(follow)
        await _quiet_close(ws)
        return Upgraded(None, "101, then no '3probe' within the timeout")
    except websockets.exceptions.ConnectionClosed as exc:
        await _cancel(follow)
        return Upgraded(None, f"reset: 101, then the connection closed ({_reason(exc)})")
    if reply != "3probe":
        await _cancel(follow)
        await _quiet_close(ws)
        return Upgraded(None, f"101, then {safe_excerpt(reply, 80)!r} instead of '3probe'")
    if follow is None:
        await wire.send("5")
    else:
        with contextlib.suppress(*CLOSE_ERRORS):
            await follow
    return Upgraded(wire, "101, 3probe, upgrade sent", sent_next_at=sent[0] if sent else None)


async def _follow(wire: Transport, then: Callable[[], Awaitable[str | None]],
                  sent: list[float]) -> None:
    """Send the session's next frame once it is known (it may wait for the login)."""
    frame = await then()
    if frame is not None:
        sent.append(time.perf_counter())
        await wire.send(frame)


async def _cancel(task: asyncio.Future[None] | None) -> None:
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, *CLOSE_ERRORS):
            await task


async def open_websocket_only(url: str, path: str, timeout_s: float,
                              keep: bool = False, sock: Any = None) -> Upgraded:
    """A websocket-only Engine.IO session: 101, then the open packet as its first frame. The
    websocket is closed afterwards unless `keep` (a session that goes on over it)."""
    ws, failed = await _open(url, path, "socket:websocket-only", "websocket only",
                              timeout_s, sock)
    if failed is not None:
        return failed
    try:
        frame = await asyncio.wait_for(ws.recv(), timeout_s)
        text = frame if isinstance(frame, str) else frame.decode("utf-8", "backslashreplace")
        parse_open_packet(text, upgrades_required=False)
    except (asyncio.TimeoutError, TimeoutError):
        await _quiet_close(ws)
        return Upgraded(None, "101, then no open packet within the timeout")
    except websockets.exceptions.ConnectionClosed as exc:
        return Upgraded(None, f"101, then the connection closed ({_reason(exc)})")
    except HandshakeError as exc:
        await _quiet_close(ws)
        return Upgraded(None, f"101, then {exc}")
    if not keep:
        await _quiet_close(ws)
    return Upgraded(WebSocketTransport(ws), "101, open packet")


def _reason(exc: websockets.exceptions.ConnectionClosed) -> str:
    close = exc.rcvd or exc.sent
    if close is None:
        return "no close frame"
    return f"code {close.code}" + (f" {safe_excerpt(close.reason, 80)!r}" if close.reason else "")


async def _quiet_close(ws: Any) -> None:
    with contextlib.suppress(*CLOSE_ERRORS):
        await asyncio.wait_for(ws.close(), 2)

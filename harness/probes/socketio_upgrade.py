"""The websocket upgrade of an Engine.IO session: 101, `2probe` -> `3probe`, then `5`.

What the server did at each step is kept as evidence (its HTTP answer when there was no 101),
and a redirect is never followed.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass
from typing import Any

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


async def _open(url: str, path: str, key: str, label: str,
                timeout_s: float) -> tuple[Any, Upgraded | None]:
    """The websocket, or (None, what happened instead: the HTTP answer, a timeout, an error)."""
    started = time.perf_counter()
    try:
        ws = await connect_no_redirect(
            url, additional_headers=CLIENT_HEADERS, open_timeout=timeout_s, close_timeout=2,
            ping_interval=None, compression=None, max_size=WS_FRAME_CAP, proxy=None)
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
        return None, Upgraded(None, f"the upgrade failed: {type(exc).__name__}: {exc}")
    return ws, None


async def upgrade(url: str, path: str, timeout_s: float) -> Upgraded:
    """Open the websocket of an Engine.IO session and upgrade it."""
    ws, failed = await _open(url, path, "socket:upgrade", "websocket upgrade", timeout_s)
    if failed is not None:
        return failed
    wire = WebSocketTransport(ws)
    try:
        await wire.send("2probe")
        reply = await wire.receive(timeout_s)
    except (asyncio.TimeoutError, TimeoutError):
        await _quiet_close(ws)
        return Upgraded(None, "101, then no '3probe' within the timeout")
    except websockets.exceptions.ConnectionClosed as exc:
        return Upgraded(None, f"reset: 101, then the connection closed ({_reason(exc)})")
    if reply != "3probe":
        await _quiet_close(ws)
        return Upgraded(None, f"101, then {safe_excerpt(reply, 80)!r} instead of '3probe'")
    await wire.send("5")
    return Upgraded(wire, "101, 3probe, upgrade sent")


async def open_websocket_only(url: str, path: str, timeout_s: float,
                              keep: bool = False) -> Upgraded:
    """A websocket-only Engine.IO session: 101, then the open packet as its first frame. The
    websocket is closed afterwards unless `keep` (a session that goes on over it)."""
    ws, failed = await _open(url, path, "socket:websocket-only", "websocket only",
                              timeout_s)
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

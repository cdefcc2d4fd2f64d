"""`python -m harness probe socketio URL`: one Engine.IO handshake and upgrade, shown raw;
with `--transport websocket` (a server that takes websockets only), one websocket opened
directly and its open packet."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import websockets

from harness.config.resolve import ConfigError, validate_url
from harness.probes.http import HttpProbeClient
from harness.probes.socketio_wire import CLIENT_HEADERS, WS_FRAME_CAP, connect_no_redirect
from harness.records.engineio import HandshakeError, handshake_path, parse_open_packet
from harness.records.http import HttpRequest
from harness.sanitize.escape import safe_excerpt


async def _probe(url: str, path: str, timeout_s: float) -> int:
    client = HttpProbeClient(url, timeout_s=timeout_s)
    try:
        request = HttpRequest("probe", "GET", handshake_path(path), "socket",
                              label="polling handshake")
        answer = await client.send(request)
    finally:
        await client.close()
    print(f"> GET {url}{request.path}")
    if answer.status is None:
        print(f"< no HTTP answer: {answer.error_detail}")
        return 2
    print(f"< {answer.status} {answer.content_type}")
    print(f"< {safe_excerpt(answer.body, 600)}")
    try:
        sid = parse_open_packet(answer.text).sid
    except HandshakeError as exc:
        print(f"! {exc}")
        if answer.status == 400 and "transport" in answer.text.lower():
            print("! the polling transport is refused: a server that takes websockets only? "
                  "try --transport websocket")
        return 1
    ws_url = url.replace("http", "ws", 1) + handshake_path(path, "websocket", sid)
    return await _on_websocket(ws_url, timeout_s, "the upgrade", _upgrade)


async def _upgrade(ws: Any, timeout_s: float) -> int:
    await ws.send("2probe")
    print("> 2probe")
    reply = await asyncio.wait_for(ws.recv(), timeout_s)
    print(f"< {safe_excerpt(reply, 200)}")
    await ws.send("5")
    print("> 5")
    return 0 if reply == "3probe" else 1


async def _open_packet(ws: Any, timeout_s: float) -> int:
    frame = await asyncio.wait_for(ws.recv(), timeout_s)
    text = frame if isinstance(frame, str) else frame.decode("utf-8", "backslashreplace")
    print(f"< {safe_excerpt(text, 600)}")
    try:
        parse_open_packet(text, upgrades_required=False)
    except HandshakeError as exc:
        print(f"! {exc}")
        return 1
    return 0


async def _probe_websocket(url: str, path: str, timeout_s: float) -> int:
    """A websocket opened directly (no polling handshake): 101, then the open packet."""
    ws_url = url.replace("http", "ws", 1) + handshake_path(path, "websocket")
    return await _on_websocket(ws_url, timeout_s, "the websocket", _open_packet)


async def _on_websocket(ws_url: str, timeout_s: float, what: str,
                        steps: Callable[[Any, float], Awaitable[int]]) -> int:
    """Open `ws_url` and run `steps` on it; what refused or broke it, said."""
    print(f"> GET {ws_url} (Upgrade: websocket)")
    try:
        async with connect_no_redirect(ws_url, additional_headers=CLIENT_HEADERS,
                                       open_timeout=timeout_s, max_size=WS_FRAME_CAP,
                                       ping_interval=None, proxy=None) as ws:
            print("< 101 Switching Protocols")
            return await steps(ws, timeout_s)
    except websockets.exceptions.InvalidStatus as exc:
        print(f"< {exc.response.status_code} (no upgrade): "
              f"{safe_excerpt(bytes(exc.response.body or b''), 300)}")
    except (websockets.exceptions.WebSocketException, OSError, asyncio.TimeoutError) as exc:
        print(f"! {what} failed: {type(exc).__name__}: {safe_excerpt(str(exc), 300)}")
    return 1


def probe_socketio(url: str, path: str, timeout_s: float, transport: str = "polling") -> int:
    """Exit 0 when the server answered as Engine.IO should over `transport` ("polling": the
    handshake, then the upgrade; "websocket": the open packet over a websocket alone)."""
    try:
        url = validate_url(url)
    except ConfigError as exc:
        print(f"smoke-harness: {exc}")
        return 2
    probe = _probe_websocket if transport == "websocket" else _probe
    return asyncio.run(probe(url, path, timeout_s))

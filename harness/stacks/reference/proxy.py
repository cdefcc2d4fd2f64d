"""The gateway's proxy: HTTP requests and websocket upgrades relayed to the messaging service."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import httpx
import websockets
from websockets.asyncio.client import connect as ws_connect

log = logging.getLogger("reference.gateway")
HOP_BY_HOP = frozenset({
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
    "transfer-encoding", "upgrade", "host", "content-length",
})
WS_CONNECT_TIMEOUT_S = 5.0
Headers = Iterable[tuple[bytes, bytes]]


async def send_json(send: Any, status: int, payload: Any, ws: bool = False,
                    headers: Headers = ()) -> None:
    """Answer `payload` as JSON (on a websocket scope: as the upgrade's HTTP denial)."""
    body = json.dumps(payload).encode()
    prefix = "websocket.http.response" if ws else "http.response"
    await send({"type": f"{prefix}.start", "status": status,
                "headers": [(b"content-type", b"application/json; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()), *headers]})
    await send({"type": f"{prefix}.body", "body": body})


async def read_body(receive: Any) -> bytes:
    """The whole request body."""
    body = bytearray()
    while True:
        message = await receive()
        body.extend(message.get("body", b""))
        if not message.get("more_body"):
            return bytes(body)


async def proxy_http(client: httpx.AsyncClient, base_url: str, scope: dict, receive: Any,
                     send: Any, upstream_path: str | None = None) -> None:
    """Relay one HTTP request to `base_url` (at `upstream_path`, else the same path)."""
    body = await read_body(receive)
    path = upstream_path or scope["path"]
    query = scope.get("query_string", b"").decode()
    url = f"{base_url}{path}" + (f"?{query}" if query else "")
    headers = [(k.decode(), v.decode()) for k, v in scope["headers"]
               if k.decode().lower() not in HOP_BY_HOP]
    client_ip = (scope.get("client") or ("", 0))[0]
    headers.append(("x-forwarded-for", client_ip))
    try:
        response = await client.request(scope["method"], url, headers=headers, content=body)
    except (httpx.UnsupportedProtocol, httpx.InvalidURL):
        log.error("[HPM] Error occurred while proxying request %s: TypeError [ERR_INVALID_URL]: "
                  "Invalid URL", scope["path"])
        await send({"type": "http.response.start", "status": 500,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body",
                    "body": b'{"error":"Invalid URL","code":"ERR_INVALID_URL"}'})
        return
    except httpx.HTTPError as exc:
        where = urlsplit(base_url)
        status = 502 if isinstance(exc, httpx.RemoteProtocolError) else 504
        log.error("[HPM] Error occurred while proxying request %s to %s [%s]",
                  scope["path"], base_url, type(exc).__name__)
        text = f"Error occurred while trying to proxy: {where.netloc}{scope['path']}"
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": text.encode()})
        return
    out = [(k.encode(), v.encode()) for k, v in response.headers.items()
           if k.lower() not in HOP_BY_HOP and k.lower() != "content-encoding"]
    out.append((b"content-length", str(len(response.content)).encode()))
    await send({"type": "http.response.start", "status": response.status_code, "headers": out})
    await send({"type": "http.response.body", "body": response.content})


async def deny_ws(scope: dict, receive: Any, send: Any, status: int, payload: Any) -> None:
    """Refuse a websocket upgrade with an HTTP answer (or a close where that is unsupported)."""
    await receive()
    if "websocket.http.response" in scope.get("extensions", {}):
        await send_json(send, status, payload, ws=True)
    else:
        await send({"type": "websocket.close", "code": 1011})


async def proxy_ws(base_url: str, scope: dict, receive: Any, send: Any) -> None:
    """Open the same websocket upstream, accept the client's, and copy frames both ways."""
    query = scope.get("query_string", b"").decode()
    base = base_url.replace("http://", "ws://", 1).replace("https://", "wss://", 1)
    url = f"{base}{scope['path']}" + (f"?{query}" if query else "")
    forwarded = {k.decode(): v.decode() for k, v in scope["headers"]
                 if k.decode().lower() in ("origin", "cookie", "authorization")}
    origin = forwarded.pop("origin", None)
    try:
        upstream = await ws_connect(url, additional_headers=forwarded, origin=origin,
                                    open_timeout=WS_CONNECT_TIMEOUT_S, compression=None,
                                    max_size=None, ping_interval=None)
    except (OSError, asyncio.TimeoutError, websockets.exceptions.WebSocketException) as exc:
        log.error("[HPM] Error occurred while proxying websocket %s: %s", scope["path"], exc)
        await deny_ws(scope, receive, send, 502,
                      {"error": "Error occurred while trying to proxy websocket"})
        return
    await receive()
    await send({"type": "websocket.accept"})
    await _pump(upstream, receive, send)


async def _pump(upstream: Any, receive: Any, send: Any) -> None:
    """Copy frames both ways until either side closes."""

    async def client_to_upstream() -> None:
        while True:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                return
            await upstream.send(message.get("bytes") or message.get("text") or "")

    async def upstream_to_client() -> None:
        async for frame in upstream:
            key = "bytes" if isinstance(frame, bytes) else "text"
            await send({"type": "websocket.send", key: frame})

    tasks = [asyncio.ensure_future(client_to_upstream()),
             asyncio.ensure_future(upstream_to_client())]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await upstream.close()
        with contextlib.suppress(Exception):  # the client is already gone
            await send({"type": "websocket.close", "code": 1000})

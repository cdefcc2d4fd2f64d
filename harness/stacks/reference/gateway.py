"""The reference API gateway: health, aggregate health, and a real HTTP + websocket proxy."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from typing import Any
from urllib.parse import urlsplit

import httpx
import websockets
from websockets.asyncio.client import connect as ws_connect

from harness import __version__
from harness.stacks.reference.settings import SLOW_HEALTH_S, ReferenceSettings

log = logging.getLogger("reference.gateway")
HOP_BY_HOP = frozenset({
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
    "transfer-encoding", "upgrade", "host", "content-length",
})
STALE_MESSAGING_URL = "http://localhost:5005"
CONFIG_ERROR = {"error": "WebSocket service configuration error"}
UNAVAILABLE = {"error": "Messaging service unavailable"}
AGGREGATE_TIMEOUT_S = 3.0
PROXY_TIMEOUT_S = 60.0
WS_CONNECT_TIMEOUT_S = 5.0


async def _send_json(send: Any, status: int, payload: Any, ws: bool = False) -> None:
    body = json.dumps(payload).encode()
    prefix = "websocket.http.response" if ws else "http.response"
    await send({"type": f"{prefix}.start", "status": status,
                "headers": [(b"content-type", b"application/json; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": f"{prefix}.body", "body": body})


class Gateway:
    """ASGI app; `messaging_url` is where it proxies, which a fault may make wrong."""

    def __init__(self, settings: ReferenceSettings, messaging_url: str) -> None:
        self.settings = settings
        self.messaging_url = messaging_url.rstrip("/")
        self.reported_messaging_url = (STALE_MESSAGING_URL if settings.has("stale-service-map")
                                       else self.messaging_url)
        self._client: httpx.AsyncClient | None = None
        if settings.has("proxy-target-missing") or settings.has("socketio-proxy-everywhere"):
            log.error('Failed to create Socket.IO proxy: [HPM] Missing "target" option. '
                      'Example: {target: "http://www.example.org"}')

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=httpx.Timeout(PROXY_TIMEOUT_S, connect=5.0))
        return self._client

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            return
        path: str = scope["path"]
        is_ws = scope["type"] == "websocket"
        fallback = self._fallback_for(path)
        if fallback is not None:
            if is_ws:
                await self._deny_ws(scope, receive, send, 503, fallback)
            else:
                await _send_json(send, 503, fallback)
            return
        if is_ws:
            if path.startswith("/socket.io"):
                await self._proxy_ws(scope, receive, send)
            else:
                await self._deny_ws(scope, receive, send, 404, {"error": "Not found"})
            return
        if path == "/api/health" and scope["method"] == "GET":
            await self._health(send)
        elif path == "/api/health/aggregate" and scope["method"] == "GET":
            await self._aggregate(send)
        elif path == "/api/messaging/health":
            await self._proxy_http(scope, receive, send, upstream_path="/health")
        elif path.startswith("/api/") or path.startswith("/socket.io"):
            await self._proxy_http(scope, receive, send)
        else:
            await _send_json(send, 404, {"error": f"Cannot {scope['method']} {path}"})

    def _fallback_for(self, path: str) -> dict[str, str] | None:
        """The generic 503 a misconfigured gateway answers on `path`, if a fault says so."""
        has = self.settings.has
        if has("socketio-proxy-everywhere") and path not in ("/api/health",
                                                             "/api/health/aggregate"):
            return CONFIG_ERROR
        if has("proxy-target-missing") and path.startswith("/socket.io"):
            return CONFIG_ERROR
        if has("conversations-precedence") and path.startswith("/api/conversations"):
            return CONFIG_ERROR
        if has("notifications-unavailable") and path.startswith("/api/notifications"):
            return UNAVAILABLE
        return None

    async def _health(self, send: Any) -> None:
        if self.settings.has("slow-health"):
            await asyncio.sleep(SLOW_HEALTH_S)
        await _send_json(send, 200, {
            "status": "ok", "service": "api-gateway", "version": __version__,
            "services": {"messaging": self.reported_messaging_url},
        })

    async def _aggregate(self, send: Any) -> None:
        name, url = "messaging", self.messaging_url
        started = time.perf_counter()
        try:
            response = await self.client.get(f"{url}/health", timeout=AGGREGATE_TIMEOUT_S)
            ok = response.status_code == 200
            entry: dict[str, Any] = {"ok": ok, "status": response.status_code}
            if not ok:
                entry["error"] = f"Request failed with status code {response.status_code}"
        except httpx.TimeoutException:
            entry = {"ok": False, "error": f"timeout of {AGGREGATE_TIMEOUT_S * 1000:.0f}ms "
                                          "exceeded"}
        except httpx.HTTPError:
            where = urlsplit(url)
            entry = {"ok": False, "error": f"connect ECONNREFUSED {where.hostname}:{where.port}"}
        entry["latencyMs"] = round((time.perf_counter() - started) * 1000)
        ok = entry["ok"]
        await _send_json(send, 200 if ok else 503, {"ok": ok, "services": {name: entry}})

    async def _proxy_http(self, scope: dict, receive: Any, send: Any,
                          upstream_path: str | None = None) -> None:
        body = bytearray()
        while True:
            message = await receive()
            body.extend(message.get("body", b""))
            if not message.get("more_body"):
                break
        path = upstream_path or scope["path"]
        query = scope.get("query_string", b"").decode()
        url = f"{self.messaging_url}{path}" + (f"?{query}" if query else "")
        headers = [(k.decode(), v.decode()) for k, v in scope["headers"]
                   if k.decode().lower() not in HOP_BY_HOP]
        client_ip = (scope.get("client") or ("", 0))[0]
        headers.append(("x-forwarded-for", client_ip))
        try:
            response = await self.client.request(scope["method"], url, headers=headers,
                                                  content=bytes(body))
        except httpx.HTTPError as exc:
            where = urlsplit(self.messaging_url)
            status = 502 if isinstance(exc, httpx.RemoteProtocolError) else 504
            log.error("[HPM] Error occurred while proxying request %s to %s [%s]",
                      scope["path"], self.messaging_url, type(exc).__name__)
            text = f"Error occurred while trying to proxy: {where.netloc}{scope['path']}"
            await send({"type": "http.response.start", "status": status,
                        "headers": [(b"content-type", b"text/plain")]})
            await send({"type": "http.response.body", "body": text.encode()})
            return
        out = [(k.encode(), v.encode()) for k, v in response.headers.items()
               if k.lower() not in HOP_BY_HOP and k.lower() != "content-encoding"]
        out.append((b"content-length", str(len(response.content)).encode()))
        await send({"type": "http.response.start", "status": response.status_code,
                    "headers": out})
        await send({"type": "http.response.body", "body": response.content})

    async def _deny_ws(self, scope: dict, receive: Any, send: Any, status: int,
                       payload: dict[str, str]) -> None:
        await receive()
        if "websocket.http.response" in scope.get("extensions", {}):
            await _send_json(send, status, payload, ws=True)
        else:
            await send({"type": "websocket.close", "code": 1011})

    async def _proxy_ws(self, scope: dict, receive: Any, send: Any) -> None:
        query = scope.get("query_string", b"").decode()
        base = self.messaging_url.replace("http://", "ws://", 1).replace("https://", "wss://", 1)
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
            await self._deny_ws(scope, receive, send, 502,
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

"""The reference API gateway: health, aggregate health, and a real HTTP + websocket proxy."""

from __future__ import annotations

import logging
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any

import httpx

from harness.stacks.reference.health import aggregate_document, health_document, started_at
from harness.stacks.reference.proxy import deny_ws, proxy_http, proxy_ws, send_json
from harness.stacks.reference.settings import ReferenceSettings
from harness.stacks.reference.traffic import Traffic

log = logging.getLogger("reference.gateway")
STALE_MESSAGING_URL = "http://localhost:5005"
CONFIG_ERROR = {"error": "WebSocket service configuration error"}
UNAVAILABLE = {"error": "Messaging service unavailable"}
PROXY_TIMEOUT_S = 60.0
MOUNTED_ROUTES = ("/api/conversations", "/api/messages", "/api/notifications")


NO_UPSTREAM = {"error": "No upstream configured for messaging"}
INVALID_URL = "messaging:5005"  # service-url-invalid: a host and port, no scheme


class Gateway:
    """ASGI app; `messaging_url` is where it proxies, which a fault may make wrong.

    Every request passes `traffic` first, which counts it (`requests_received`)."""

    def __init__(self, settings: ReferenceSettings, messaging_url: str) -> None:
        self.settings = settings
        self.messaging_url = INVALID_URL if settings.has("service-url-invalid") else \
            messaging_url.rstrip("/")
        self.reported_messaging_url = (STALE_MESSAGING_URL if settings.has("stale-service-map")
                                       else self.messaging_url)
        self._client: httpx.AsyncClient | None = None
        self.started_at = started_at()
        self.traffic = Traffic(settings, self._route)
        if settings.has("proxy-target-missing") or settings.has("socketio-proxy-everywhere"):
            log.error('Failed to create Socket.IO proxy: [HPM] Missing "target" option. '
                      'Example: {target: "http://www.example.org"}')

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            # a proxy keeps no cookies: a login's Set-Cookie is the client's, not the gateway's
            jar = CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))
            self._client = httpx.AsyncClient(timeout=httpx.Timeout(PROXY_TIMEOUT_S, connect=5.0),
                                             cookies=jar)
        return self._client

    @property
    def requests_received(self) -> int:
        """HTTP requests and websocket upgrades received so far."""
        return self.traffic.requests_received

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        await self.traffic(scope, receive, send)

    async def _route(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            return
        path: str = scope["path"]
        is_ws = scope["type"] == "websocket"
        fallback = self._fallback_for(path)
        if fallback is not None:
            if is_ws:
                await deny_ws(scope, receive, send, 503, fallback)
            else:
                await send_json(send, 503, fallback)
            return
        if path.startswith("/socket.io") and self.settings.has("socket-direct"):
            missing = {"error": f"Cannot {scope.get('method', 'GET')} {path}"}
            if is_ws:
                await deny_ws(scope, receive, send, 404, missing)
            else:
                await send_json(send, 404, missing)
            return
        if self.settings.has("socketio-proxy-catch-all") and not is_ws:
            # the Socket.IO proxy, with its target, mounted on every path ahead of the routes
            await proxy_http(self.client, self.messaging_url, scope, receive, send)
            return
        if is_ws:
            if path.startswith("/socket.io"):
                await proxy_ws(self.messaging_url, scope, receive, send)
            else:
                await deny_ws(scope, receive, send, 404, {"error": "Not found"})
            return
        if path == "/api/health" and scope["method"] == "GET":
            await send_json(send, 200, await health_document(
                self.settings, self.reported_messaging_url, self.started_at))
        elif path == "/api/health/aggregate" and scope["method"] == "GET":
            status, body = await aggregate_document(self.settings, self.client,
                                                    self.messaging_url)
            await send_json(send, status, body)
        elif path == "/api/messaging/health":
            await proxy_http(self.client, self.messaging_url, scope, receive, send,
                             upstream_path="/health")
        elif path.startswith("/api/") and self.settings.has("messaging-target-unset"):
            await send_json(send, 502, NO_UPSTREAM)
        elif path.startswith("/api/") or path.startswith("/socket.io"):
            await proxy_http(self.client, self.messaging_url, scope, receive, send,
                             upstream_path=self._upstream_path(path))
        else:
            await send_json(send, 404, {"error": f"Cannot {scope['method']} {path}"})

    def _upstream_path(self, path: str) -> str | None:
        """Where the messaging service gets `path`: the same, unless the mount path is lost."""
        if self.settings.has("mount-path-dropped") and path.startswith(MOUNTED_ROUTES):
            return path.removeprefix("/api")
        return None

    def _fallback_for(self, path: str) -> dict[str, str] | None:
        """The generic 503 a misconfigured gateway answers on `path`, if a fault says so."""
        has = self.settings.has
        if has("socketio-proxy-everywhere") and path not in ("/api/health",
                                                             "/api/health/aggregate"):
            return CONFIG_ERROR
        if (has("proxy-target-missing") or has("messaging-target-unset")) and \
                path.startswith("/socket.io"):
            return CONFIG_ERROR
        if has("conversations-precedence") and path.startswith("/api/conversations"):
            return CONFIG_ERROR
        if has("notifications-unavailable") and path.startswith("/api/notifications"):
            return UNAVAILABLE
        return None

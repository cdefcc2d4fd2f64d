"""What the gateway does to every request before routing it: count it, rate-limit it (the
rate-limited fault, express-rate-limit style), and slow it down under load (slow-under-load)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from harness.stacks.reference.proxy import deny_ws, send_json
from harness.stacks.reference.ratelimit import FixedWindow, Hit
from harness.stacks.reference.settings import ReferenceSettings

RATE_LIMIT = 45
RATE_WINDOW_S = 900
TOO_MANY = {"error": "Too many requests from this IP, please try again later."}
LOAD_THRESHOLD = 8
SLOW_UNDER_LOAD_S = 1.5
START_MESSAGES = ("http.response.start", "websocket.http.response.start", "websocket.accept")
ASGIApp = Any


def rate_limit_headers(hit: Hit, now: float) -> list[tuple[bytes, bytes]]:
    """Draft-6 and draft-7 RateLimit headers plus the legacy X-RateLimit-* ones (whose reset
    is a Unix time, as express-rate-limit sends it); Retry-After once over the limit."""
    reset = hit.reset_whole_s
    headers = {
        "ratelimit-policy": f"{hit.limit};w={RATE_WINDOW_S}",
        "ratelimit-limit": str(hit.limit),
        "ratelimit-remaining": str(hit.remaining),
        "ratelimit-reset": str(reset),
        "ratelimit": f"limit={hit.limit}, remaining={hit.remaining}, reset={reset}",
        "x-ratelimit-limit": str(hit.limit),
        "x-ratelimit-remaining": str(hit.remaining),
        "x-ratelimit-reset": str(int(now) + reset),
    }
    if hit.over:
        headers["retry-after"] = str(reset)
    return [(name.encode(), value.encode()) for name, value in headers.items()]


def with_headers(send: Any, headers: list[tuple[bytes, bytes]]) -> Any:
    """`send` that adds `headers` to the answer's start (or to a websocket's accept)."""

    async def wrapped(message: dict) -> None:
        if message["type"] in START_MESSAGES:
            message = {**message, "headers": [*message.get("headers", []), *headers]}
        await send(message)

    return wrapped


class Traffic:
    """ASGI middleware in front of the gateway's routes."""

    def __init__(self, settings: ReferenceSettings, app: ASGIApp) -> None:
        self.app = app
        self.requests_received = 0
        self.in_flight = 0
        self._slow_under_load = settings.has("slow-under-load")
        self._window = (FixedWindow(RATE_LIMIT, RATE_WINDOW_S)
                        if settings.has("rate-limited") else None)

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        self.requests_received += 1
        if self._window is not None:
            hit = self._window.hit((scope.get("client") or ("unknown", 0))[0])
            send = with_headers(send, rate_limit_headers(hit, time.time()))
            if hit.over:
                if scope["type"] == "websocket":
                    await deny_ws(scope, receive, send, 429, TOO_MANY)
                else:
                    await send_json(send, 429, TOO_MANY)
                return
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return
        self.in_flight += 1
        try:
            if self._slow_under_load and self.in_flight > LOAD_THRESHOLD:
                await asyncio.sleep(SLOW_UNDER_LOAD_S)
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1

"""The reference messaging service: REST + Socket.IO with JWT auth, rooms and message:new."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import jwt
import socketio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from harness.stacks.reference.ratelimit import RateLimiter
from harness.stacks.reference.settings import SLOW_HEALTH_S, ReferenceSettings
from harness.stacks.reference.storage import Store

log = logging.getLogger("reference.messaging")
MAX_BODY_BYTES = 100 * 1024
TOKEN_TTL_S = 3600
NODE_STACK = (
    "SyntaxError: Unexpected token } in JSON at position 1\n"
    "    at JSON.parse (<anonymous>)\n"
    "    at parse (/app/node_modules/body-parser/lib/types/json.js:92:19)\n"
    "    at /app/node_modules/body-parser/lib/read.js:128:18\n"
    "    at invokeCallback (/app/node_modules/raw-body/index.js:238:16)"
)


class HttpError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def issue_token(settings: ReferenceSettings, username: str, ttl_s: int = TOKEN_TTL_S) -> str:
    now = int(time.time())
    return jwt.encode({"sub": username, "iat": now, "exp": now + ttl_s}, settings.jwt_secret,
                      algorithm="HS256")


def verify_token(settings: ReferenceSettings, token: str | None) -> str:
    """The username in a valid token; HttpError(401) otherwise."""
    if not token:
        raise HttpError(401, "No token provided")
    try:
        claims = jwt.decode(token, settings.jwt_secret, algorithms=["HS256"],
                            options={"require": ["exp", "sub"]})
    except jwt.ExpiredSignatureError:
        raise HttpError(401, "Token expired") from None
    except jwt.InvalidTokenError:
        raise HttpError(401, "Invalid token") from None
    return str(claims["sub"])


def _json_errors(handler: Callable[[Request], Awaitable[Response]]) -> Callable:
    """Turn HttpError into a JSON error (or, for the stack-trace fault, a raw 500 body)."""

    async def endpoint(request: Request) -> Response:
        try:
            return await handler(request)
        except HttpError as exc:
            if exc.status == 500:
                return PlainTextResponse(str(exc), 500)
            return JSONResponse({"error": str(exc)}, exc.status)

    return endpoint


class MessagingService:
    """Holds the service's state; `app` is the ASGI application (Socket.IO + REST)."""

    def __init__(self, settings: ReferenceSettings) -> None:
        self.settings = settings
        self.store = Store(settings.mongo_url)
        self.limiter = RateLimiter(settings.rate_limit, settings.rate_window_s,
                                   settings.redis_url)
        cors = (["https://only-allowed.example"] if settings.has("cors-reject")
                else settings.cors_origins)
        self.sio = socketio.AsyncServer(async_mode="asgi", cors_allowed_origins=cors)
        self.sio.on("connect", self._on_connect)
        self.sio.on("conversation:join", self._on_join)
        self.sio.on("disconnect", self._on_disconnect)
        rest = Starlette(routes=[
            Route("/health", self.health),
            Route("/api/auth/login", _json_errors(self._login), methods=["POST"]),
            Route("/api/conversations", _json_errors(self._conversations),
                  methods=["GET", "POST"]),
            Route("/api/messages", _json_errors(self._messages), methods=["GET", "POST"]),
            Route("/api/notifications", _json_errors(self._notifications), methods=["GET"]),
        ])
        rest.add_exception_handler(404, self._not_found)
        rest.add_exception_handler(405, self._not_allowed)
        self._rest = rest
        self.app = socketio.ASGIApp(self.sio, other_asgi_app=self._guarded_rest,
                                    socketio_path="socket.io")

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "websocket" and self.settings.has("dual-upgrade"):
            log.error("WebSocket upgrade error: Error: server.handleUpgrade() was called more "
                      "than once with the same socket, possibly due to a misconfiguration")
            await receive()
            await send({"type": "websocket.close", "code": 1006})
            return
        await self.app(scope, receive, send)

    async def _guarded_rest(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            client = (scope.get("client") or ("unknown", 0))[0]
            wait = await self.limiter.hit(client)
            if wait is not None:
                response = JSONResponse({"error": "Too many requests"}, status_code=429,
                                        headers={"retry-after": str(int(wait) + 1)})
                await response(scope, receive, send)
                return
        await self._rest(scope, receive, send)

    @staticmethod
    async def _not_found(request: Request, exc: Exception) -> Response:
        return JSONResponse({"error": f"Cannot {request.method} {request.url.path}"}, 404)

    @staticmethod
    async def _not_allowed(request: Request, exc: Exception) -> Response:
        return JSONResponse({"error": "Method not allowed"}, 405)

    async def health(self, request: Request) -> Response:
        if self.settings.has("slow-health"):
            await asyncio.sleep(SLOW_HEALTH_S)
        if self.settings.has("messaging-health-503"):
            return JSONResponse({"status": "error", "error": "Service unavailable"}, 503)
        return JSONResponse({"status": "ok", "service": "messaging",
                             "storage": self.store.backend,
                             "rateLimitStore": self.limiter.backend_name})

    async def _json_body(self, request: Request) -> dict[str, Any]:
        raw = await request.body()
        if len(raw) > MAX_BODY_BYTES:
            raise HttpError(413, "Payload too large")
        if "application/json" not in request.headers.get("content-type", ""):
            raise HttpError(415, "Content-Type must be application/json")
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            if self.settings.has("stack-trace-on-bad-json"):
                raise HttpError(500, NODE_STACK) from None
            raise HttpError(400, "Malformed JSON body") from None
        if not isinstance(body, dict):
            raise HttpError(400, "JSON body must be an object")
        return body

    def _user(self, request: Request) -> str:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer":
            token = ""
        return verify_token(self.settings, token.strip() or None)

    async def _login(self, request: Request) -> Response:
        body = await self._json_body(request)
        if (body.get("username"), body.get("password")) != (self.settings.username,
                                                            self.settings.password):
            raise HttpError(401, "Invalid credentials")
        return JSONResponse({"token": issue_token(self.settings, self.settings.username)})

    async def _conversations(self, request: Request) -> Response:
        body = await self._json_body(request) if request.method == "POST" else {}
        user = self._user(request)
        if request.method == "GET":
            return JSONResponse(await self.store.find("conversations", {"participants": user}))
        if self.settings.has("create-never-responds"):
            await asyncio.Event().wait()
        participants = body.get("participants")
        if not isinstance(participants, list):
            raise HttpError(400, "participants must be a list")
        conversation = await self.store.insert("conversations", {
            "title": str(body.get("title", "")), "participants": sorted({user, *participants}),
        })
        return JSONResponse(conversation, 201)

    async def _messages(self, request: Request) -> Response:
        body = await self._json_body(request) if request.method == "POST" else {}
        if request.method == "GET" and self.settings.has("auth-not-enforced"):
            return JSONResponse(await self.store.find("messages", {}))
        user = self._user(request)
        if request.method == "GET":
            query = {"conversationId": request.query_params["conversationId"]} \
                if "conversationId" in request.query_params else {}
            return JSONResponse(await self.store.find("messages", query))
        conversation_id, text = body.get("conversationId"), body.get("text")
        if not isinstance(conversation_id, str) or not isinstance(text, str) or not text:
            raise HttpError(400, "conversationId and text are required")
        if await self.store.find_one("conversations", {"id": conversation_id}) is None:
            raise HttpError(404, "Conversation not found")
        message = await self.store.insert("messages", {
            "conversationId": conversation_id, "text": text, "sender": user,
        })
        if not self.settings.has("no-message-event"):
            await self.sio.emit("message:new", message, room=conversation_id)
        return JSONResponse(message, 201)

    async def _notifications(self, request: Request) -> Response:
        user = self._user(request)
        return JSONResponse(await self.store.find("notifications", {"user": user}))

    async def _on_connect(self, sid: str, environ: dict, auth: Any) -> None:
        token = auth.get("token") if isinstance(auth, dict) else None
        if self.settings.has("socketio-auth-not-enforced"):
            await self.sio.save_session(sid, {"user": "anonymous"})
            return
        try:
            user = verify_token(self.settings, token)
        except HttpError as exc:
            raise socketio.exceptions.ConnectionRefusedError(str(exc)) from None
        await self.sio.save_session(sid, {"user": user})

    async def _on_join(self, sid: str, data: Any) -> dict[str, Any]:
        conversation_id = data.get("conversationId") if isinstance(data, dict) else None
        if not isinstance(conversation_id, str):
            return {"ok": False, "error": "conversationId is required"}
        if await self.store.find_one("conversations", {"id": conversation_id}) is None:
            return {"ok": False, "error": "Conversation not found"}
        await self.sio.enter_room(sid, conversation_id)
        return {"ok": True, "conversationId": conversation_id}

    async def _on_disconnect(self, sid: str, *args: Any) -> None:
        log.debug("socket %s disconnected", sid)

"""The reference messaging service: REST routes and Socket.IO behind one ASGI app."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import socketio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from harness.stacks.reference.auth import (
    bearer_token,
    decode_unverified,
    issue_token,
    verify_ignoring_exp,
    verify_token,
)
from harness.stacks.reference.express import (
    HttpError,
    json_body,
    json_errors,
    leaky_not_found,
    not_allowed,
    not_found,
    success_response,
)
from harness.stacks.reference.ratelimit import RateLimiter
from harness.stacks.reference.realtime import Realtime
from harness.stacks.reference.settings import SLOW_HEALTH_S, ReferenceSettings
from harness.stacks.reference.storage import UNREACHABLE, Store, UnreachableStore

log = logging.getLogger("reference.messaging")
LOGIN_LIMIT = 5
LOGIN_WINDOW_S = 900
LOGIN_LIMITED = {"error": "Too many login attempts, please try again after 15 minutes"}
UNTITLED = "Untitled conversation"
TOKEN_COOKIE = "token"


class MessagingService:
    """Holds the service's state; `app` is the ASGI application (Socket.IO + REST)."""

    def __init__(self, settings: ReferenceSettings, hanging: set[str] | None = None) -> None:
        self.settings = settings
        self.hanging = hanging if hanging is not None else set()  # for tests to wait on
        down = next((fault for fault in UNREACHABLE if settings.has(fault)), None)
        self.store = UnreachableStore(down) if down else Store(
            settings.mongo_url, (settings.username, settings.peer_username))
        self.database_down = down is not None or settings.has("auth-db-error-401")
        self.limiter = RateLimiter(settings.rate_limit, settings.rate_window_s,
                                   settings.redis_url, crash_on_loss=settings.has("redis-down"))
        cors = (["https://only-allowed.example"] if settings.has("cors-reject")
                else settings.cors_origins)
        transports = ["websocket"] if settings.has("websocket-only-server") else None
        self.sio = socketio.AsyncServer(async_mode="asgi", cors_allowed_origins=cors,
                                        transports=transports)
        self.realtime = Realtime(settings, self.store, self.sio)
        rest = Starlette(routes=[
            Route("/health", self.health),
            *([] if settings.has("socketio-proxy-catch-all") else [  # auth lives in the gateway
                Route("/api/auth/login", json_errors(settings, self._login), methods=["POST"])]),
            Route("/api/conversations", json_errors(settings, self._conversations),
                  methods=["GET", "POST"]),
            Route("/api/messages", json_errors(settings, self._messages),
                  methods=["GET", "POST"]),
            Route("/api/messages/{conversation_id}",
                  json_errors(settings, self._conversation_messages), methods=["GET"]),
            Route("/api/notifications", json_errors(settings, self._notifications),
                  methods=["GET"]),
            Route("/api/auth/me", json_errors(settings, self._me), methods=["GET"]),
            Route("/api/users/{user_id}", json_errors(settings, self._profile),
                  methods=["GET"]),
            Route("/api/users/{user_id}/notifications",
                  json_errors(settings, self._user_notifications), methods=["GET"]),
        ])
        rest.add_exception_handler(404, leaky_not_found if settings.has("leak-internal-address")
                                   else not_found)
        rest.add_exception_handler(405, not_allowed)
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

    async def health(self, request: Request) -> Response:
        """The service's own health: 200 with its storage and rate-limit backends."""
        if self.settings.has("slow-health"):
            await asyncio.sleep(SLOW_HEALTH_S)
        if self.settings.has("messaging-health-503"):
            return JSONResponse({"status": "error", "error": "Service unavailable"}, 503)
        return JSONResponse({"status": "ok", "service": "messaging",
                             "storage": self.store.backend,
                             "database": {"connected": not self.database_down},
                             "rateLimitStore": self.limiter.backend_name})

    def _user(self, request: Request) -> str:
        if self.settings.has("auth-db-error-401") and \
                request.url.path.startswith(("/api/conversations", "/api/messages")):
            # the auth middleware looks the user up and maps the database's error to 401
            raise HttpError(401, "Invalid token", code="INVALID_TOKEN")
        if self.settings.has("cookie-auth"):
            token = request.cookies.get(TOKEN_COOKIE) or None
        else:
            token = bearer_token(request.headers.get("authorization", ""))
        if self.settings.has("jwt-decode-only"):
            return decode_unverified(token, self.settings.users)
        if self.settings.has("jwt-exp-ignored"):
            return verify_ignoring_exp(self.settings.jwt_secret, token, self.settings.users)
        return verify_token(self.settings.jwt_secret, token)

    async def _login(self, request: Request) -> Response:
        if self.settings.has("login-rate-limited"):
            return JSONResponse(LOGIN_LIMITED, 429, headers={
                "retry-after": str(LOGIN_WINDOW_S), "ratelimit-limit": str(LOGIN_LIMIT),
                "ratelimit-remaining": "0", "ratelimit-reset": str(LOGIN_WINDOW_S)})
        body = await json_body(self.settings, request)
        if self.settings.has("login-db-refused"):
            raise HttpError(400, "connect ECONNREFUSED 127.0.0.1:5432")
        username, password = body.get("username"), body.get("password")
        if not isinstance(username, str) or self.settings.users.get(username) != password:
            raise HttpError(401, "Invalid credentials", code="INVALID_CREDENTIALS")
        token = issue_token(self.settings.jwt_secret, username)
        if self.settings.has("cookie-auth"):
            response = JSONResponse({"success": True, "user": {"id": username}})
            response.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="lax")
            return response
        if self.settings.has("nested-ids"):
            return JSONResponse({"success": True, "data": {"token": token}})
        return JSONResponse({"token": token})

    async def _conversations(self, request: Request) -> Response:
        body = await json_body(self.settings, request) if request.method == "POST" else {}
        user = self._user(request)
        if request.method == "GET":
            found = await self.store.find("conversations", {"participants": user})
            return success_response(self.settings, "conversations", found)
        if self.settings.has("create-never-responds"):
            self.hanging.add("create")
            await asyncio.Event().wait()
        permissive = self.settings.has("text-plain-accepted")
        participants = body.get("participants", [] if permissive else None)
        if not isinstance(participants, list):
            raise HttpError(400, "participants must be a list")
        if not self.settings.has("crash-on-wrong-type"):
            if not all(isinstance(p, str) for p in participants):
                raise HttpError(400, "participants must be a list of user ids")
            if not isinstance(body.get("title", ""), str):
                raise HttpError(400, "title must be a string")
            unknown = [p for p in participants if p not in self.settings.users]
            if unknown and self.settings.has("participants-checked"):
                raise HttpError(400, f"unknown participant(s): {', '.join(unknown)}")
        title = str(body.get("title", "")) or (UNTITLED if permissive else "")
        conversation = await self.store.insert("conversations", {
            "title": title, "participants": sorted({user, *participants}),
        })
        return success_response(self.settings, "conversation", conversation, 201)

    async def _messages(self, request: Request) -> Response:
        body = await json_body(self.settings, request) if request.method == "POST" else {}
        if request.method == "GET" and self.settings.has("auth-not-enforced"):
            return JSONResponse(await self.store.find("messages", {}))
        conversation_id = request.query_params.get("conversationId")
        if request.method == "GET" and conversation_id is not None and \
                self.settings.has("messages-unchecked-404"):  # a legacy poll, before tokens
            if await self.store.find_one("conversations", {"id": conversation_id}) is None:
                raise HttpError(404, "Conversation not found")
            return success_response(self.settings, "messages", await self.store.find(
                "messages", {"conversationId": conversation_id}))
        user = self._user(request)
        if request.method == "GET":
            return success_response(self.settings, "messages",
                                    await self.store.find("messages",
                                                          await self._list_query(request, user)))
        conversation_id, text = body.get("conversationId"), body.get("text")
        if not isinstance(conversation_id, str) or not isinstance(text, str) or not text:
            raise HttpError(400, "conversationId and text are required")
        conversation = await self._member_of(conversation_id, user)
        message = await self.store.insert("messages", {
            "conversationId": conversation_id, "text": text, "sender": user,
        })
        others = [other for other in conversation["participants"] if other != user]
        for other in others:
            await self.store.insert("notifications", {
                "user": other, "kind": "message", "conversationId": conversation_id,
                "messageId": message["id"]})
        await self.realtime.notify(others, message)
        if not self.settings.has("message-via-socket"):
            await self.realtime.announce(message)
        return success_response(self.settings, "message", message, 201)

    async def _conversation_messages(self, request: Request) -> Response:
        """GET /api/messages/:conversationId: that conversation's messages (404 if unknown)."""
        conversation_id = request.path_params["conversation_id"]
        await self._member_of(conversation_id, self._user(request))
        return success_response(self.settings, "messages", await self.store.find(
            "messages", {"conversationId": conversation_id}))

    async def _member_of(self, conversation_id: str, user: str) -> dict[str, Any]:
        """The conversation, when `user` is one of its participants (403 otherwise)."""
        conversation = await self.store.find_one("conversations", {"id": conversation_id})
        if conversation is None:
            raise HttpError(404, "Conversation not found")
        if user not in conversation.get("participants", []):
            raise HttpError(403, "Not a participant of this conversation", code="FORBIDDEN")
        return conversation

    async def _list_query(self, request: Request, user: str) -> dict[str, Any]:
        """The filter of GET /api/messages: one conversation of the caller's, else all of the
        caller's conversations; messages-need-query makes ?conversationId= required."""
        conversation_id = request.query_params.get("conversationId")
        if conversation_id is None and self.settings.has("messages-need-query"):
            raise HttpError(400, "conversationId is required")
        if conversation_id is not None:
            await self._member_of(conversation_id, user)
            return {"conversationId": conversation_id}
        mine = await self.store.find("conversations", {"participants": user}, limit=500)
        return {"conversationId": {"$in": [c["id"] for c in mine]}}

    async def _notifications(self, request: Request) -> Response:
        user = self._user(request)
        found = await self.store.find("notifications", {"user": user})
        return success_response(self.settings, "notifications", found)

    async def _me(self, request: Request) -> Response:
        """GET /api/auth/me: who the token is."""
        return success_response(self.settings, "user", {"user": {"id": self._user(request)}})

    async def _profile(self, request: Request) -> Response:
        """GET /api/users/:userId: a public profile; the email only to its owner
        (profile-leaks-email: to anyone)."""
        user, wanted = self._user(request), request.path_params["user_id"]
        if wanted not in self.settings.users:
            raise HttpError(404, "User not found")
        profile = {"id": wanted, "name": wanted}
        if wanted == user or self.settings.has("profile-leaks-email"):
            profile["email"] = f"{wanted}@example.test"
        return success_response(self.settings, "user", profile)

    async def _user_notifications(self, request: Request) -> Response:
        """GET /api/users/:userId/notifications: the caller's own only (idor-user-route: any)."""
        user, wanted = self._user(request), request.path_params["user_id"]
        if wanted != user and not self.settings.has("idor-user-route"):
            raise HttpError(403, "You may only read your own notifications", code="FORBIDDEN")
        found = await self.store.find("notifications", {"user": wanted})
        return success_response(self.settings, "notifications", found)

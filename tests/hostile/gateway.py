"""The healthy part of every hostile target: a minimal gateway of the default contract.

REST routes answer `Reply` objects (so a mode can rewrite them before they are sent); the
Socket.IO side lives in `tests.hostile.socketio`.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from typing import Any

import jwt

from tests.hostile.wire import Headers, Request, json_response

USERNAME = "smoke-user"
PASSWORD = 'p"a\\s<s&wörd-Ünï'
JWT_SECRET = "hostile-jwt-secret-0123456789abcdef"
HEALTH = {"status": "ok", "service": "api-gateway",
          "services": {"messaging": "http://127.0.0.1:1"}, "version": "1"}
AGGREGATE = {"ok": True, "services": {"messaging": {"ok": True}}}
PROTECTED = {
    ("GET", "/api/conversations"), ("POST", "/api/conversations"),
    ("GET", "/api/messages"), ("POST", "/api/messages"), ("GET", "/api/notifications"),
}
UNAUTHORIZED = {"error": "unauthorized"}
_ids = itertools.count(1)


@dataclass
class Reply:
    """A JSON answer not yet on the wire."""

    status: int
    document: Any
    headers: Headers = field(default_factory=list)

    def encode(self) -> bytes:
        return json_response(self.status, self.document, self.headers)


def issue_token(username: str = USERNAME) -> str:
    now = int(time.time())
    return jwt.encode({"sub": username, "iat": now, "exp": now + 3600}, JWT_SECRET,
                      algorithm="HS256")


def token_valid(token: object) -> bool:
    if not isinstance(token, str):
        return False
    try:
        jwt.decode(token, JWT_SECRET, algorithms=["HS256"])
    except jwt.PyJWTError:
        return False
    return True


def bearer_valid(request: Request) -> bool:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and token_valid(token.strip())


def is_protected(request: Request) -> bool:
    return (request.method, request.path) in PROTECTED


def is_health(request: Request) -> bool:
    return request.method == "GET" and request.path == "/api/health"


def rest(request: Request, emit: Any) -> Reply:
    """The healthy answer to a REST request; `emit(room, event, data)` reaches Socket.IO."""
    key = (request.method, request.path)
    if key == ("GET", "/api/health"):
        return Reply(200, HEALTH)
    if key == ("GET", "/api/health/aggregate"):
        return Reply(200, AGGREGATE)
    if key == ("GET", "/api/messaging/health"):
        return Reply(200, {"status": "ok"})
    if key == ("POST", "/api/auth/login"):
        body = request.json()
        if isinstance(body, dict) and (body.get("username"), body.get("password")) == (
                USERNAME, PASSWORD):
            return Reply(200, {"token": issue_token()})
        return Reply(401, {"error": "invalid credentials"})
    if key in PROTECTED:
        if not bearer_valid(request):
            return Reply(401, UNAUTHORIZED)
        return _protected(request, emit)
    return Reply(404, {"error": "not found"})


def _protected(request: Request, emit: Any) -> Reply:
    body = request.json()
    body = body if isinstance(body, dict) else {}
    if request.method == "GET":
        name = request.path.rsplit("/", 1)[-1]
        return Reply(200, {name: []})
    if request.path == "/api/conversations":
        return Reply(201, {"id": f"c{next(_ids)}", "title": body.get("title"),
                           "participants": body.get("participants", [])})
    message = {"id": f"m{next(_ids)}", "conversationId": body.get("conversationId"),
               "text": body.get("text")}
    emit(str(body.get("conversationId")), "message:new", message)
    return Reply(201, message)

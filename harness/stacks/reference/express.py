"""How the messaging service shapes answers the way an Express app does: errors and bodies."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response

from harness.stacks.reference.settings import ReferenceSettings
from harness.stacks.reference.storage import StorageUnavailable

MAX_BODY_BYTES = 100 * 1024
NODE_STACK = (
    "SyntaxError: Unexpected token } in JSON at position 1\n"
    "    at JSON.parse (<anonymous>)\n"
    "    at parse (/app/node_modules/body-parser/lib/types/json.js:92:19)\n"
    "    at /app/node_modules/body-parser/lib/read.js:128:18\n"
    "    at invokeCallback (/app/node_modules/raw-body/index.js:238:16)"
)
BODY_PARSER_FRAMES = (
    "    at JSON.parse (<anonymous>)\n"
    "    at parse (/app/node_modules/body-parser/lib/types/json.js:92:19)\n"
    "    at /app/node_modules/body-parser/lib/read.js:128:18\n"
    "    at AsyncResource.runInAsyncScope (node:async_hooks:203:9)\n"
    "    at invokeCallback (/app/node_modules/raw-body/index.js:238:16)"
)
EXPRESS_404 = ('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
               '<title>Error</title>\n</head>\n<body>\n<pre>Cannot {method} {path}</pre>\n'
               '</body>\n</html>\n')
STATUS_CODES = {400: "VALIDATION_ERROR", 401: "AUTH_REQUIRED", 404: "NOT_FOUND",
                413: "PAYLOAD_TOO_LARGE", 415: "UNSUPPORTED_MEDIA_TYPE", 500: "INTERNAL_ERROR"}
Endpoint = Callable[[Request], Awaitable[Response]]


class HttpError(Exception):
    """An error answer: `status`, message, a machine `code` (nested-ids shows it), a Node
    `stack` (stack-in-json shows it); `plain` sends the message as a raw text body."""

    def __init__(self, status: int, message: str, code: str | None = None,
                 stack: str | None = None, plain: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.code = code or STATUS_CODES.get(status, "ERROR")
        self.stack = stack
        self.plain = plain


def error_response(settings: ReferenceSettings, exc: HttpError) -> Response:
    """The answer for `exc`."""
    if exc.plain:
        return PlainTextResponse(str(exc), exc.status)
    if settings.has("nested-ids"):
        return JSONResponse({"success": False,
                             "error": {"message": str(exc), "code": exc.code}}, exc.status)
    body = {"error": str(exc)}
    if exc.stack:
        body["stack"] = exc.stack
    return JSONResponse(body, exc.status)


def success_response(settings: ReferenceSettings, key: str, data: Any,
                     status: int = 200) -> Response:
    """`data` as is, or as `{"success": true, "data": {key: data}}` under nested-ids."""
    if settings.has("nested-ids"):
        return JSONResponse({"success": True, "data": {key: data}}, status)
    return JSONResponse(data, status)


def json_errors(settings: ReferenceSettings, handler: Endpoint) -> Endpoint:
    """An endpoint that turns HttpError (and unreachable storage) into its answer."""

    async def endpoint(request: Request) -> Response:
        try:
            return await handler(request)
        except HttpError as exc:
            return error_response(settings, exc)
        except StorageUnavailable as exc:
            return error_response(settings, HttpError(500, str(exc)))

    return endpoint


def node_parse_error(text: str, position: int) -> str:
    """What Node's JSON.parse says about `text` failing at `position`."""
    if position >= len(text.rstrip()):
        return "Unexpected end of JSON input"
    return f"Unexpected token {text[position]} in JSON at position {position}"


async def json_body(settings: ReferenceSettings, request: Request) -> dict[str, Any]:
    """The request's JSON object body; HttpError for a body the route must refuse.

    Under text-plain-accepted a body of another content type is ignored, as express.json()
    does: the route sees `{}`."""
    raw = await request.body()
    is_json = "application/json" in request.headers.get("content-type", "")
    if not is_json and settings.has("text-plain-accepted"):
        return {}
    if len(raw) > MAX_BODY_BYTES:
        raise HttpError(413, "Payload too large")
    if not is_json:
        raise HttpError(415, "Content-Type must be application/json")
    try:
        body = json.loads(raw or b"{}")
    except ValueError as exc:
        if settings.has("stack-trace-on-bad-json"):
            raise HttpError(500, NODE_STACK, plain=True) from None
        if settings.has("stack-in-json"):
            message = node_parse_error(raw.decode("utf-8", "replace"), getattr(exc, "pos", 0))
            stack = f"SyntaxError: {message}\n{BODY_PARSER_FRAMES}"
            raise HttpError(400, message, stack=stack) from None
        raise HttpError(400, "Malformed JSON body") from None
    if not isinstance(body, dict):
        raise HttpError(400, "JSON body must be an object")
    return body


async def not_found(request: Request, exc: Exception) -> Response:
    """Starlette's 404 handler: JSON under /api and /socket.io, else Express's default HTML
    page (which a gateway that drops its mount path shows)."""
    path = request.url.path
    if path.startswith(("/api/", "/socket.io")):
        return JSONResponse({"error": f"Cannot {request.method} {path}"}, 404)
    return HTMLResponse(EXPRESS_404.format(method=request.method, path=path), 404,
                        headers={"content-security-policy": "default-src 'none'",
                                 "x-content-type-options": "nosniff"})


LEAKED_UPSTREAM = "mongodb://chat:s3cret-db-pass@mongo.chat.svc.cluster.local:27017/chat"


async def leaky_not_found(request: Request, exc: Exception) -> Response:
    """The leak-internal-address fault: a 404 that names the service's database connection."""
    return JSONResponse({"error": f"Cannot {request.method} {request.url.path}",
                         "upstream": LEAKED_UPSTREAM,
                         "detail": "connect ECONNREFUSED 10.0.3.7:27017"}, 404)


async def not_allowed(request: Request, exc: Exception) -> Response:
    """Starlette's 405 handler."""
    return JSONResponse({"error": "Method not allowed"}, 405)

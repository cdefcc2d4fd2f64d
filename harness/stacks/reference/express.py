"""How the messaging service shapes answers the way an Express app does: errors and bodies."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from harness.stacks.reference.settings import ReferenceSettings

MAX_BODY_BYTES = 100 * 1024
NODE_STACK = (
    "SyntaxError: Unexpected token } in JSON at position 1\n"
    "    at JSON.parse (<anonymous>)\n"
    "    at parse (/app/node_modules/body-parser/lib/types/json.js:92:19)\n"
    "    at /app/node_modules/body-parser/lib/read.js:128:18\n"
    "    at invokeCallback (/app/node_modules/raw-body/index.js:238:16)"
)
Endpoint = Callable[[Request], Awaitable[Response]]


class HttpError(Exception):
    """An error answer: `status` and message; `plain` sends the message as a raw text body."""

    def __init__(self, status: int, message: str, plain: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.plain = plain


def error_response(exc: HttpError) -> Response:
    """The answer for `exc`."""
    if exc.plain:
        return PlainTextResponse(str(exc), exc.status)
    return JSONResponse({"error": str(exc)}, exc.status)


def json_errors(handler: Endpoint) -> Endpoint:
    """An endpoint that turns HttpError into its answer."""

    async def endpoint(request: Request) -> Response:
        try:
            return await handler(request)
        except HttpError as exc:
            return error_response(exc)

    return endpoint


async def json_body(settings: ReferenceSettings, request: Request) -> dict[str, Any]:
    """The request's JSON object body; HttpError for a body the route must refuse."""
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        raise HttpError(413, "Payload too large")
    if "application/json" not in request.headers.get("content-type", ""):
        raise HttpError(415, "Content-Type must be application/json")
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        if settings.has("stack-trace-on-bad-json"):
            raise HttpError(500, NODE_STACK, plain=True) from None
        raise HttpError(400, "Malformed JSON body") from None
    if not isinstance(body, dict):
        raise HttpError(400, "JSON body must be an object")
    return body


async def not_found(request: Request, exc: Exception) -> Response:
    """Starlette's 404 handler."""
    return JSONResponse({"error": f"Cannot {request.method} {request.url.path}"}, 404)


async def not_allowed(request: Request, exc: Exception) -> Response:
    """Starlette's 405 handler."""
    return JSONResponse({"error": "Method not allowed"}, 405)

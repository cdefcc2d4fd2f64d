"""JSON Web Tokens for the reference messaging service: issued at login, checked by REST and
Socket.IO."""

from __future__ import annotations

import time
from collections.abc import Iterable

import jwt

from harness.stacks.reference.express import HttpError

TOKEN_TTL_S = 3600


def issue_token(secret: str, username: str, ttl_s: int = TOKEN_TTL_S) -> str:
    """An HS256 token for `username`, valid for `ttl_s` seconds."""
    now = int(time.time())
    return jwt.encode({"sub": username, "iat": now, "exp": now + ttl_s}, secret,
                      algorithm="HS256")


def verify_token(secret: str, token: str | None) -> str:
    """The username in a valid token; HttpError(401) otherwise."""
    if not token:
        raise HttpError(401, "No token provided", code="AUTH_REQUIRED")
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"],
                            options={"require": ["exp", "sub"]})
    except jwt.ExpiredSignatureError:
        raise HttpError(401, "Token expired", code="TOKEN_EXPIRED") from None
    except jwt.InvalidSignatureError:
        raise HttpError(401, "Invalid token", code="INVALID_SIGNATURE") from None
    except jwt.InvalidTokenError:
        raise HttpError(401, "Invalid token", code="INVALID_TOKEN") from None
    return str(claims["sub"])


def decode_unverified(token: str | None, users: Iterable[str]) -> str:
    """The username in any token that decodes, signature unchecked (`alg: none` too), as a
    service calling `jwt.decode` instead of `jwt.verify` does; it still looks the user up:
    HttpError(401) for no token, a token that does not decode, or an unknown user."""
    if not token:
        raise HttpError(401, "No token provided", code="AUTH_REQUIRED")
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.InvalidTokenError:
        raise HttpError(401, "Invalid token", code="INVALID_TOKEN") from None
    if claims.get("sub") not in set(users):
        raise HttpError(401, "Unknown user", code="INVALID_TOKEN")
    return str(claims["sub"])


def verify_ignoring_exp(secret: str, token: str | None, users: Iterable[str]) -> str:
    """As `verify_token`, but an expired token passes (a middleware verifying with
    `ignoreExpiration: true`); it still looks the user up: HttpError(401) for an unknown one."""
    if not token:
        raise HttpError(401, "No token provided", code="AUTH_REQUIRED")
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"],
                            options={"require": ["sub"], "verify_exp": False})
    except jwt.InvalidTokenError:
        raise HttpError(401, "Invalid token", code="INVALID_TOKEN") from None
    if claims.get("sub") not in set(users):
        raise HttpError(401, "Unknown user", code="INVALID_TOKEN")
    return str(claims["sub"])


def bearer_token(authorization: str) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, else None."""
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None

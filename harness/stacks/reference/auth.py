"""JSON Web Tokens for the reference messaging service: issued at login, checked by REST and
Socket.IO."""

from __future__ import annotations

import time

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


def bearer_token(authorization: str) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, else None."""
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None

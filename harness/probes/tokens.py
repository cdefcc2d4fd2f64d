"""Bad credentials a protected route must reject: the token variants of the auth matrix."""

from __future__ import annotations

import base64
import json
import secrets
import time
from dataclasses import dataclass

import jwt

CLAIMS_SUBJECT = "smoke-harness"


@dataclass(frozen=True)
class TokenVariant:
    name: str
    description: str
    needs_secret: bool = False

    def header(self, scheme: str, jwt_secret: str | None) -> str | None:
        """The Authorization header value for this variant (None: send no header)."""
        return _HEADERS[self.name](scheme, jwt_secret)


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims(exp_offset_s: int) -> dict:
    now = int(time.time())
    return {"sub": CLAIMS_SUBJECT, "iat": now, "exp": now + exp_offset_s}


def _forged(scheme: str, secret: str | None) -> str:
    return f"{scheme} {jwt.encode(_claims(3600), secrets.token_hex(32), algorithm='HS256')}"


def _alg_none(scheme: str, secret: str | None) -> str:
    return f"{scheme} {_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(_claims(3600))}."


def _expired(scheme: str, secret: str | None) -> str:
    return f"{scheme} {jwt.encode(_claims(-3600), secret or '', algorithm='HS256')}"


_HEADERS = {
    "no-token": lambda scheme, secret: None,
    "garbage": lambda scheme, secret: f"{scheme} not-a-jwt",
    "forged-signature": _forged,
    "alg-none": _alg_none,
    "expired": _expired,
    "wrong-scheme": lambda scheme, secret: "Basic " + base64.b64encode(b"smoke:smoke").decode(),
    "empty-bearer": lambda scheme, secret: scheme,
}

TOKEN_VARIANTS = [
    TokenVariant("no-token", "no Authorization header"),
    TokenVariant("garbage", "a token that is not a JWT"),
    TokenVariant("forged-signature", "a JWT signed with a wrong key"),
    TokenVariant("alg-none", "an unsigned JWT (alg: none)"),
    TokenVariant("expired", "an expired JWT signed with the real key", needs_secret=True),
    TokenVariant("wrong-scheme", "Basic-auth credentials (wrong scheme)"),
    TokenVariant("empty-bearer", "the scheme with no token after it"),
]

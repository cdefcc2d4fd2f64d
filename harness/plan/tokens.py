"""Bad credentials a protected route must reject: the token variants of the auth matrix."""

from __future__ import annotations

import base64
import secrets
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import jwt

CLAIMS_SUBJECT = "smoke-harness"


def _claims(exp_offset_s: int) -> dict[str, object]:
    now = int(time.time())
    return {"sub": CLAIMS_SUBJECT, "iat": now, "exp": now + exp_offset_s}


def forged_token() -> str:
    """A well-formed HS256 token signed with a random key."""
    return jwt.encode(_claims(3600), secrets.token_hex(32), algorithm="HS256")


def unsigned_token() -> str:
    """An unsigned JWT (`alg: none`)."""
    return jwt.encode(_claims(3600), None, algorithm="none")


def expired_token(secret: str) -> str:
    """An expired JWT signed with the real key (whatever its length: PyJWT's warning about a
    short key concerns the target's secret, not this run, and would only clutter its output)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return jwt.encode(_claims(-3600), secret, algorithm="HS256")


@dataclass(frozen=True)
class TokenVariant:
    """One kind of bad credentials; `value` builds the token (None: send none).

    `raw_header` builds an Authorization header that is wrong by its shape (another scheme, the
    scheme alone); under a cookie scheme, `raw_cookie` is that variant's cookie value instead
    (a wrong one, an empty one), so the variant still sends a credential."""

    name: str
    description: str
    value: Callable[[str | None], str | None]
    needs_secret: bool = False
    raw_header: Callable[[str], str] | None = None
    raw_cookie: str | None = None

    def headers(self, scheme: str, jwt_secret: str | None) -> dict[str, str]:
        """The request headers for this variant under `scheme` (Bearer or cookie:<name>)."""
        if scheme.startswith("cookie:"):
            token = self.value(jwt_secret) if self.raw_cookie is None else self.raw_cookie
            return {"cookie": f"{scheme.split(':', 1)[1]}={token}"} if token is not None else {}
        if self.raw_header is not None:
            return {"authorization": self.raw_header(scheme)}
        token = self.value(jwt_secret)
        return {"authorization": f"{scheme} {token}"} if token is not None else {}


BASIC_CREDENTIALS = base64.b64encode(b"smoke:smoke").decode()

TOKEN_VARIANTS = (
    TokenVariant("no-token", "no credentials", lambda secret: None),
    TokenVariant("garbage", "a token that is not a JWT", lambda secret: "not-a-jwt"),
    TokenVariant("forged-signature", "a JWT signed with a wrong key",
                 lambda secret: forged_token()),
    TokenVariant("alg-none", "an unsigned JWT (alg: none)", lambda secret: unsigned_token()),
    TokenVariant("expired", "an expired JWT signed with the real key",
                 lambda secret: expired_token(secret or ""), needs_secret=True),
    TokenVariant("wrong-scheme", "Basic-auth credentials (wrong scheme)", lambda secret: None,
                 raw_header=lambda scheme: f"Basic {BASIC_CREDENTIALS}",
                 raw_cookie=BASIC_CREDENTIALS),
    TokenVariant("empty-bearer", "the scheme with no token after it", lambda secret: None,
                 raw_header=lambda scheme: scheme, raw_cookie=""),
)

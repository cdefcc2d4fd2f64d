"""Bad credentials a protected route must reject: the token variants of the auth matrix."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from harness.records.forgery import (
    ALG_NONE,
    BASIC_CREDENTIALS,
    EXPIRED,
    FORGED_SIGNATURE,
    GARBAGE,
)


@dataclass(frozen=True)
class TokenVariant:
    """One kind of bad credentials; `value` builds the token (None: send none), unless the
    variant is a forgery of the run's own token (`forgery`: its name is the request's `auth`,
    resolved at send time, when the login has answered).

    `raw_header` builds an Authorization header that is wrong by its shape (another scheme, the
    scheme alone); under a cookie scheme, `raw_cookie` is that variant's cookie value instead
    (a wrong one, an empty one), so the variant still sends a credential."""

    name: str
    description: str
    value: Callable[[str | None], str | None] = lambda secret: None
    forgery: bool = False
    needs_secret: bool = False
    raw_header: Callable[[str], str] | None = None
    raw_cookie: str | None = None

    def headers(self, scheme: str, jwt_secret: str | None) -> dict[str, str]:
        """The request headers for this variant under `scheme` (Bearer or cookie:<name>); none
        for a forgery (its credential comes at send time)."""
        if self.forgery:
            return {}
        if scheme.startswith("cookie:"):
            token = self.value(jwt_secret) if self.raw_cookie is None else self.raw_cookie
            return {"cookie": f"{scheme.split(':', 1)[1]}={token}"} if token is not None else {}
        if self.raw_header is not None:
            return {"authorization": self.raw_header(scheme)}
        token = self.value(jwt_secret)
        return {"authorization": f"{scheme} {token}"} if token is not None else {}


TOKEN_VARIANTS = (
    TokenVariant("no-token", "no credentials", lambda secret: None),
    TokenVariant("garbage", "a token that is not a JWT", lambda secret: GARBAGE),
    TokenVariant(FORGED_SIGNATURE, "a JWT signed with a wrong key (the run's claims)",
                 forgery=True),
    TokenVariant(ALG_NONE, "an unsigned JWT (alg: none, the run's claims)", forgery=True),
    TokenVariant(EXPIRED, "an expired JWT signed with the real key (the run's claims)",
                 forgery=True, needs_secret=True),
    TokenVariant("wrong-scheme", "Basic-auth credentials (wrong scheme)", lambda secret: None,
                 raw_header=lambda scheme: f"Basic {BASIC_CREDENTIALS}",
                 raw_cookie=BASIC_CREDENTIALS),
    TokenVariant("empty-bearer", "the scheme with no token after it", lambda secret: None,
                 raw_header=lambda scheme: scheme, raw_cookie=""),
)

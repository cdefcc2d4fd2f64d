"""Tokens a process keeps between runs (watch): logins are the tightest rate limit."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

EXPIRY_MARGIN_S = 60.0  # a token this close to its expiry is not reused


@dataclass(frozen=True)
class KeptToken:
    """A token kept from a login, with the user id read when it was logged in (from its
    login answer, which a later run that reuses the token does not have)."""

    token: str = field(repr=False)
    expires_at: float | None = None
    user_id: str | None = None


@dataclass
class TokenCache:
    """Role ("valid" for the run's own user, "peer", "outsider") -> the token kept, its expiry
    (a Unix time; None when the token does not say) and its user's id. Kept in memory only,
    never written."""

    _tokens: dict[str, KeptToken] = field(default_factory=dict, repr=False)

    def keep(self, role: str, token: str, expires_at: float | None,
             user_id: str | None = None) -> None:
        self._tokens[role] = KeptToken(token, expires_at, user_id)

    def valid(self, now: float | None = None) -> dict[str, KeptToken]:
        """The tokens not yet (nearly) expired, by role."""
        now = time.time() if now is None else now
        return {role: kept for role, kept in self._tokens.items()
                if kept.expires_at is None or kept.expires_at - EXPIRY_MARGIN_S > now}

    def forget(self) -> None:
        self._tokens.clear()

    def __bool__(self) -> bool:
        return bool(self._tokens)

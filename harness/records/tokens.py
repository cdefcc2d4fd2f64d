"""Tokens a process keeps between runs (watch): logins are the tightest rate limit."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

EXPIRY_MARGIN_S = 60.0  # a token this close to its expiry is not reused


@dataclass
class TokenCache:
    """Role ("valid" for the run's own user, "peer", "outsider") -> token and its expiry (a
    Unix time; None when the token does not say). Kept in memory only, never written."""

    _tokens: dict[str, tuple[str, float | None]] = field(default_factory=dict, repr=False)

    def keep(self, role: str, token: str, expires_at: float | None) -> None:
        self._tokens[role] = (token, expires_at)

    def valid(self, now: float | None = None) -> dict[str, str]:
        """The tokens not yet (nearly) expired, by role."""
        now = time.time() if now is None else now
        return {role: token for role, (token, expires) in self._tokens.items()
                if expires is None or expires - EXPIRY_MARGIN_S > now}

    def forget(self) -> None:
        self._tokens.clear()

    def __bool__(self) -> bool:
        return bool(self._tokens)

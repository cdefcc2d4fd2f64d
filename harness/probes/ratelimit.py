"""The target's rate-limit budget, read from the headers of every answer.

Understands the IETF drafts (`RateLimit-Limit/-Remaining/-Reset`, draft 7; the combined
`RateLimit: limit=..., remaining=..., reset=...`; draft 8's `RateLimit: "p";r=..;t=..` with
`RateLimit-Policy: "p";q=..;w=..`), the common `X-RateLimit-*` headers and `Retry-After`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from harness.records.http import retry_after_in_body

_PARAM = re.compile(r"\b(limit|remaining|reset|r|t|q|w)\s*=\s*(\d+)")


@dataclass(frozen=True)
class Budget:
    """What one answer said about the budget; None where it said nothing."""

    limit: int | None = None
    remaining: int | None = None
    reset_s: int | None = None
    retry_after_s: float | None = None

    @property
    def known(self) -> bool:
        return self.remaining is not None


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    match = re.match(r"\s*(\d+)", value)
    return int(match.group(1)) if match else None


def read_budget(headers: Mapping[str, str]) -> Budget:
    """The budget an answer's headers (lower-case names) announce."""
    limit = _int(headers.get("ratelimit-limit")) or _int(headers.get("x-ratelimit-limit"))
    remaining = _int(headers.get("ratelimit-remaining"))
    if remaining is None:
        remaining = _int(headers.get("x-ratelimit-remaining"))
    reset = _int(headers.get("ratelimit-reset"))
    if reset is None:
        reset = _int(headers.get("x-ratelimit-reset"))
    combined = dict(_PARAM.findall(headers.get("ratelimit", "")))
    policy = dict(_PARAM.findall(headers.get("ratelimit-policy", "")))
    limit = limit or _int(combined.get("limit")) or _int(policy.get("q"))
    if remaining is None:
        remaining = _int(combined.get("remaining") or combined.get("r"))
    if reset is None:
        reset = _int(combined.get("reset") or combined.get("t"))
    if reset is not None and reset > 10**9:  # X-RateLimit-Reset as an epoch timestamp
        reset = None
    return Budget(limit, remaining, reset, retry_after(headers))


def retry_after(headers: Mapping[str, str], body: Any = None) -> float | None:
    """Retry-After in seconds (an HTTP date counts as unknown), else the JSON body's
    `retryAfter`/`retry_after`."""
    value = headers.get("retry-after", "").strip()
    try:
        return float(value) if value else retry_after_in_body(body)
    except ValueError:
        return None


class BudgetTracker:
    """The budget of the policy the first answer announced, and how it went down.

    Gateways limit routes with different policies (5 logins, 100 requests); an answer whose
    limit differs from the first one's belongs to another policy and does not lower the run's
    budget (a 429 from it still shows in that check).
    """

    def __init__(self) -> None:
        self.first: Budget | None = None
        self.last: Budget | None = None
        self.left: int | None = None  # the run's policy's last remaining, less what went since
        self.retry_after_s: float | None = None
        self._login: Budget | None = None
        self._others_since = 0  # answers of another policy since `last`: they spent it too

    def spend(self, n: int = 1) -> bool:
        """Whether `n` more requests fit what the target said is left (then they are counted
        as spent); True while it has said nothing."""
        if self.left is None:
            return True
        if self.left < n:
            return False
        self.left -= n
        return True

    def rate_limited(self, headers: Mapping[str, str], body: Any) -> None:
        """A 429: note when it says to retry (its Retry-After, else its JSON body's)."""
        self.retry_after_s = retry_after(headers, body) or self.retry_after_s

    def see(self, headers: Mapping[str, str], login: bool = False) -> None:
        """Note an answer's budget. The login's answer counts only when it shares the run's
        policy (the same limit); a login's own, stricter limiter is another policy."""
        budget = read_budget(headers)
        if not budget.known:
            return
        if login and self.first is None:
            self._login = budget
            return
        if self.first is None:
            self.first = self.last = budget
            self.left = budget.remaining
            if self._login is not None:
                self.see_same_policy(self._login)
            return
        self.see_same_policy(budget)

    def see_same_policy(self, budget: Budget) -> None:
        assert self.first is not None and self.last is not None
        if budget.limit is not None and self.first.limit is not None and \
                budget.limit != self.first.limit:
            self._others_since += 1
            return
        if (budget.remaining or 0) <= (self.last.remaining or 0):  # type: ignore[union-attr]
            self.last = budget
            self._others_since = 0
        if budget.remaining is not None:
            self.left = budget.remaining if self.left is None else \
                min(self.left, budget.remaining)

    def document(self) -> dict[str, int | float | None] | None:
        """Before: the first answer's remaining; after: the last one's, less the answers of
        another policy since (a login under a limiter of its own spends the run's policy too,
        and says nothing of it), so the two agree with the requests sent."""
        if self.first is None or self.last is None:
            return None
        after = None if self.last.remaining is None else \
            max(0, self.last.remaining - self._others_since)
        return {"limit": self.first.limit, "remaining_before": self.first.remaining,
                "remaining_after": after, "reset_s": self.last.reset_s,
                "retry_after_s": self.retry_after_s}

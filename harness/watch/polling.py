"""How often watch may ask the target anything: a tenth of the tightest rate budget that
covers its health route (the contract's declared limits, what the target's headers announce,
else 100 requests per 15 minutes)."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from harness.contract.model import RateLimit
from harness.probes.ratelimit import read_budget
from harness.watch.duration import shown

DEFAULT_LIMIT, DEFAULT_WINDOW_S = 100, 900.0
SHARE = 10  # watching takes at most a tenth of the budget
MIN_INTERVAL_S = 1.0
_WINDOW = re.compile(r"\bw\s*=\s*(\d+)")


@dataclass(frozen=True)
class Budget:
    """A rate budget: `limit` requests per `window_s`, and where it comes from."""

    limit: int
    window_s: float
    source: str

    @property
    def rate(self) -> float:
        return self.limit / self.window_s


@dataclass(frozen=True)
class Polling:
    """One request to `path` every `interval_s`: `per_window` requests per budget window."""

    path: str
    interval_s: float
    per_window: float
    budget: Budget

    def announce(self) -> str:
        return (f"polling {self.path} every {shown(self.interval_s)}: "
                f"{math.floor(self.per_window * 10) / 10:g} requests per "
                f"{shown(self.budget.window_s)}, {self.share} of the budget "
                f"({self.budget.source})")

    @property
    def share(self) -> str:
        return "a tenth" if self.per_window * SHARE >= self.budget.limit * 0.99 else \
            "less than a tenth"


def declared(limits: Sequence[RateLimit], path: str) -> list[Budget]:
    """The contract's limits that count requests to `path`."""
    return [Budget(limit.limit, limit.window_s, f"the contract's rate limit on {limit.label}")
            for limit in limits if limit.covers(path)]


def announced(headers: Mapping[str, str]) -> Budget | None:
    """The budget an answer's RateLimit headers announce (the window from RateLimit-Policy's
    `w`, else 15 minutes)."""
    budget = read_budget(headers)
    if budget.limit is None:
        return None
    window = _WINDOW.search(headers.get("ratelimit-policy", ""))
    window_s = float(window.group(1)) if window else DEFAULT_WINDOW_S
    said = "" if window else ", its window assumed"
    return Budget(budget.limit, window_s,
                  f"{budget.limit} per {shown(window_s)} as the target announces{said}")


def polling(path: str, budgets: Sequence[Budget]) -> Polling:
    """The interval for the tightest of `budgets` (the default one when there is none)."""
    tightest = min(budgets, key=lambda budget: budget.rate) if budgets else Budget(
        DEFAULT_LIMIT, DEFAULT_WINDOW_S,
        f"{DEFAULT_LIMIT} per {shown(DEFAULT_WINDOW_S)}, assumed: the target announces none")
    interval = max(MIN_INTERVAL_S, math.ceil(tightest.window_s * SHARE / tightest.limit * 10) / 10)
    return Polling(path, interval, tightest.window_s / interval, tightest)

"""What a check came to and what a run came to, as enums; why a check was not tested, typed."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Status(str, Enum):
    """A check's outcome (the value is what reports and pytest show)."""

    PASSED = "passed"
    FAILED = "failed"
    BLOCKED = "blocked"
    NOT_TESTED = "not-tested"
    KNOWN = "known-issue"

    def __str__(self) -> str:
        return self.value


class Verdict(str, Enum):
    """A run's verdict and its exit code: 0 pass, 1 a contract failed, 2 otherwise."""

    PASS = "pass"
    FAIL = "fail"
    INCONCLUSIVE = "inconclusive"
    ERROR = "error"

    def __str__(self) -> str:
        return self.value

    @property
    def exit_code(self) -> int:
        return {"pass": 0, "fail": 1}.get(self.value, 2)


class Why(Enum):
    """Why a check was not tested. Only MISSING_INPUT (the user did not give what it needs)
    keeps a verdict green: every other reason makes the run inconclusive."""

    MISSING_INPUT = "missing-input"
    BUDGET = "budget"
    RATE_LIMITED = "rate-limited"
    PREREQUISITE = "prerequisite"


@dataclass(frozen=True)
class NotTested:
    """A not-tested reason: the sentence people read, and its kind."""

    text: str
    why: Why = Why.PREREQUISITE

    def __str__(self) -> str:
        return self.text

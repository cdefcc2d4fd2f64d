"""The verdict: pass only when every check the run meant to make ran and passed."""

from __future__ import annotations

from collections.abc import Sequence

from harness.judge.outcomes import BLOCKED, FAILED, NOT_TESTED, Outcome

EXIT_CODES = {"pass": 0, "fail": 1, "inconclusive": 2, "error": 2}


def verdict_of(outcomes: Sequence[Outcome], missing_input: set[str]) -> str:
    """fail: a contract failed. inconclusive: a check could not run for a reason outside the
    contract (rate limit, request budget, a prerequisite the target could not give). pass:
    everything else; checks left out for want of user input are listed, not hidden."""
    if any(o.outcome == FAILED for o in outcomes):
        return "fail"
    if any(o.outcome == BLOCKED for o in outcomes):
        return "inconclusive"
    if any(o.outcome == NOT_TESTED and o.check.key not in missing_input for o in outcomes):
        return "inconclusive"
    return "pass"

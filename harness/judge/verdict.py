"""The verdict: pass only when every check the run meant to make ran and passed."""

from __future__ import annotations

from collections.abc import Sequence

from harness.judge.outcomes import Outcome
from harness.records.outcome import Status, Verdict, Why

EXIT_CODES = {verdict.value: verdict.exit_code for verdict in Verdict}


def verdict_of(outcomes: Sequence[Outcome]) -> Verdict:
    """fail: a contract failed. inconclusive: a check could not run for a reason outside the
    contract (rate limit, request budget, a prerequisite the target could not give). pass:
    everything else; checks left out for want of user input are listed, not hidden."""
    if any(o.outcome is Status.FAILED for o in outcomes):
        return Verdict.FAIL
    if any(o.outcome is Status.BLOCKED for o in outcomes):
        return Verdict.INCONCLUSIVE
    if any(o.outcome is Status.NOT_TESTED and o.why is not Why.MISSING_INPUT for o in outcomes):
        return Verdict.INCONCLUSIVE
    return Verdict.PASS

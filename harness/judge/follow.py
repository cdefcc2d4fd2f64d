"""Which of the plan's follow-ups the first pass asks for: the auth variants that failed on the
matrix route (then sent on every route), and the health routes that looked slow in the burst
(then measured again alone)."""

from __future__ import annotations

from harness.judge.findings import Finding
from harness.judge.judge import Judge
from harness.records.keys import AUTH_VARIANT_FAILED
from harness.records.plan import FollowUp, Plan

TIMED_KINDS = ("health-document", "aggregate", "alias")


def wanted_follow_ups(judge: Judge, plan: Plan) -> list[FollowUp]:
    """The auth follow-ups of every variant that failed where the no-token case passed."""
    results = {check.key: judge.judge(check) for check in plan.checks
               if check.kind == "auth" and check.key not in plan.left_out}
    no_token_ok = {check.params["route"] for check in plan.checks if check.key in results
                   and check.params["variant"] == "no-token" and results[check.key] is None}
    failed = {check.params["variant"] for check in plan.checks
              if check.key in results and isinstance(results[check.key], Finding)
              and check.params["route"] in no_token_ok}
    return [f for f in plan.follow_ups if f.when.startswith(AUTH_VARIANT_FAILED)
            and f.when[len(AUTH_VARIANT_FAILED):] in failed]


def slow_probes(judge: Judge, plan: Plan) -> list[str]:
    """The health probes over their budget in the burst, to measure again alone."""
    slow = []
    for check in plan.checks:
        if check.kind in TIMED_KINDS and check.key not in plan.left_out and check.probes:
            answer = judge.evidence.answers.get(check.probes[0])
            if answer is not None and answer.elapsed_s * 1000 > check.params["budget_ms"]:
                slow.append(check.probes[0])
    return list(dict.fromkeys(slow))

"""Every planned check's outcome: passed, failed, blocked, not tested, or a known issue."""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.contract.model import KnownIssue
from harness.judge.causes import Cause
from harness.judge.findings import Finding
from harness.judge.kinds import Blocked, Result, node_id, shown_key
from harness.records.outcome import NotTested, Status, Why
from harness.records.plan import Check, Plan
from harness.records.timeline import Span

PASSED, FAILED, BLOCKED, NOT_TESTED, KNOWN = (
    Status.PASSED, Status.FAILED, Status.BLOCKED, Status.NOT_TESTED, Status.KNOWN)


@dataclass(frozen=True)
class Step:
    """One request or Socket.IO step a check read: when it ran and its redacted exchange."""

    span: Span
    exchange: str = ""
    label: str = ""

    @property
    def name(self) -> str:
        return self.label or self.span.label


@dataclass
class Outcome:
    """One check's outcome; `finding` for failed and known issues, `reason` when not tested."""

    check: Check
    outcome: Status
    finding: Finding | None = None
    reason: str = ""
    blocked_by: str | None = None
    known: KnownIssue | None = None
    latency_ms: int | None = None
    why: Why | None = None
    budget_ms: int | None = None
    steps: list[Step] = field(default_factory=list)

    @property
    def cause(self) -> Cause | None:
        return self.finding.cause if self.finding else None

    @property
    def message(self) -> str:
        if self.finding is not None:
            return self.finding.message
        if self.blocked_by:
            return f"blocked by {shown_key(self.blocked_by)}"
        return self.reason


def known_issue_for(check: Check, known: list[KnownIssue]) -> KnownIssue | None:
    """The contract's known issue that names this check: by report id, `test[case]` or case."""
    report = node_id(check)
    names = (report, report.rsplit("::", 1)[-1], check.id)
    return next((k for k in known if k.matches(*names)), None)


def settle(plan: Plan, results: dict[str, Result], known: list[KnownIssue]) -> list[Outcome]:
    """From each check's raw result (a Finding, NotTested, Blocked, or None for passed) to
    outcomes: a check after a failed check is blocked by it; rate limits are not tested;
    known issues are reported as such."""
    outcomes: dict[str, Outcome] = {}
    for check in plan.checks:
        result = results.get(check.key)
        if check.key in plan.left_out:
            left = plan.left_out[check.key]
            outcomes[check.key] = Outcome(check, NOT_TESTED, reason=left.text, why=left.why)
            continue
        blocker = next((key for key in check.after if key in outcomes
                        and outcomes[key].outcome in (FAILED, BLOCKED, KNOWN)), None)
        if blocker is not None and not (isinstance(result, Finding)
                                        and result.cause is Cause.RATE_LIMITED):
            root = outcomes[blocker].blocked_by or blocker
            outcomes[check.key] = Outcome(check, BLOCKED, blocked_by=root)
            continue
        if isinstance(result, Blocked):
            root = outcomes[result.by].blocked_by if result.by in outcomes else None
            outcomes[check.key] = Outcome(check, BLOCKED, blocked_by=root or result.by)
        elif isinstance(result, NotTested):
            outcomes[check.key] = Outcome(check, NOT_TESTED, reason=result.text, why=result.why)
        elif isinstance(result, Finding) and result.cause.blocks_verdict_only:
            outcomes[check.key] = Outcome(check, NOT_TESTED, finding=result,
                                          reason=f"rate-limited: {result.message}",
                                          why=Why.RATE_LIMITED)
        elif isinstance(result, Finding):
            issue = known_issue_for(check, known)
            if issue is not None and issue.cause not in (None, result.cause.code):
                issue = None
            outcomes[check.key] = Outcome(check, KNOWN if issue else FAILED, result, known=issue,
                                          latency_ms=result.latency_ms)
        else:
            outcomes[check.key] = Outcome(check, PASSED, known=known_issue_for(check, known))
    return [outcomes[check.key] for check in plan.checks]

"""The judged run: everything a report shows about one run, as the engine hands it on."""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.config import RunConfig
from harness.judge.outcomes import Outcome
from harness.judge.root_causes import RootCause
from harness.records.outcome import Status, Verdict
from harness.records.plan import Plan
from harness.records.timeline import Span
from harness.sanitize.redact import Redactor


@dataclass
class RunResult:
    """Everything a report shows about one run."""

    config: RunConfig
    plan: Plan
    target: str
    started_at: str
    verdict: Verdict = Verdict.PASS
    error: str | None = None
    outcomes: list[Outcome] = field(default_factory=list)
    root_causes: list[RootCause] = field(default_factory=list)
    requests_by_suite: dict[str, int] = field(default_factory=dict)
    requests_by_path: dict[str, int] = field(default_factory=dict)
    rate_limit: dict[str, int | None] | None = None
    duration_s: float = 0.0
    notes: list[str] = field(default_factory=list)
    waited_s: float | None = None
    version: str | None = None
    containers: list[dict[str, str]] | None = None
    redactor: Redactor = field(default_factory=Redactor)
    timeline: list[Span] = field(default_factory=list)
    clock_epoch_s: float | None = None  # the Unix time of the timeline's origin

    @property
    def requests_sent(self) -> int:
        return sum(self.requests_by_suite.values())


def outcome_counts(outcomes: list[Outcome]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for outcome in outcomes:
        key = outcome.outcome.value if isinstance(outcome.outcome, Status) else outcome.outcome
        counts[key] = counts.get(key, 0) + 1
    return counts

"""What the pytest plugin keeps for a session: the run's one plan as cases and, once judged,
their outcomes.

The cases pytest collects are the plan's checks; the engine runs that same plan. Under xdist
the controller judges before its workers start and hands each of them the judged cases through
xdist's own channel (`workerinput`), so every request is sent once, however many workers.

May import: config, engine, judge, process, records, reports, stacks.
"""

from __future__ import annotations

import sys
from dataclasses import asdict, dataclass
from typing import Any

from harness.config import RunConfig
from harness.judge.kinds import kind
from harness.records.plan import Check, Plan
from harness.reports.allure import AllureOutput
from harness.stacks.start import PreparedStack

WORKER_KEY = "smoke_cases"


@dataclass
class CheckCase:
    """A check as a pytest parameter: it shows as its id; its outcome once judged."""

    key: str
    id: str
    shown_by: str
    writes: bool
    outcome: str = "pending"
    cause: str | None = None
    message: str = ""
    rendered: str = ""
    suite: str = ""
    contract: str = ""
    latency_ms: int | None = None
    severity: str | None = None
    budget_ms: int | None = None

    def __repr__(self) -> str:
        return self.id

    @classmethod
    def of(cls, check: Check) -> CheckCase:
        shown = kind(check.kind)
        return cls(check.key, check.id, shown.shown_by, check.writes, suite=shown.suite)


class SmokeState:
    """The session's configuration, plan and cases, and (after the engine ran) its result."""

    def __init__(self, cases: list[CheckCase], run_config: RunConfig | None = None,
                 planned: tuple[PreparedStack, Plan] | None = None,
                 verbose: bool = False) -> None:
        self.cases = cases
        self.run_config = run_config
        self.planned = planned
        self.verbose = verbose
        self.result: Any = None
        self.document: dict[str, Any] | None = None
        self.printed = False
        self.shared_unjudged: str | None = None  # a worker's: the controller's unjudged()
        self._written = False
        self.unwritten: list[str] = []  # the reports that could not be written

    @classmethod
    def planning(cls, run_config: RunConfig, verbose: bool = False,
                 planned: tuple[PreparedStack, Plan] | None = None) -> SmokeState:
        """The controller's state: the run's one plan (the CLI's, else made here), made before
        anything starts."""
        from harness.engine import plan_run

        planned = planned or plan_run(run_config, _say)
        return cls([CheckCase.of(check) for check in planned[1].checks], run_config, planned,
                   verbose)

    @classmethod
    def from_worker(cls, shared: dict[str, Any]) -> SmokeState:
        """A worker's state: the controller's judged cases."""
        state = cls([CheckCase(**case) for case in shared["cases"]])
        state.shared_unjudged = shared.get("unjudged")
        return state

    def judged(self, case: CheckCase) -> CheckCase:
        """The case with its judged outcome; a case the plan does not hold is an error."""
        known = next((c for c in self.cases if c.key == case.key), None)
        if known is None:
            case.outcome = "error"
            case.message = f"{case.id} is not part of this run's plan"
            return case
        return known

    def execute(self, selected: list[str] | None) -> None:
        """Run the plan (or the selected checks of it) and give every case its outcome."""
        from harness.engine import run
        from harness.process.signals import interrupts_as_keyboard_interrupt
        from harness.reports.document import build_document

        assert self.run_config is not None, "only the controller executes"
        with interrupts_as_keyboard_interrupt():
            self.result = run(self.run_config, only=selected, say=_say, planned=self.planned)
        self.document = build_document(self.result)
        by_key = {o.check.key: o for o in self.result.outcomes}
        documented = {c["id"]: c for c in self.document["checks"]}
        for case in self.cases:
            case.contract = self.result.config.contract.name
            outcome = by_key.get(case.key)
            if outcome is None:
                case.outcome = "not-tested"
                case.message = self.result.error or "not selected in this run"
                continue
            case.outcome = outcome.outcome.value
            case.message = self.result.redactor.text(outcome.message)
            case.cause = outcome.cause.code if outcome.cause else None
            doc = documented.get(f"{case.shown_by}[{case.id}]", {})
            case.latency_ms, case.budget_ms = doc.get("latency_ms"), doc.get("budget_ms")
            case.severity = doc.get("severity")
            if outcome.finding is not None:
                case.rendered = self.result.redactor.text(outcome.finding.render())

    def for_workers(self) -> dict[str, Any]:
        return {"cases": [asdict(case) for case in self.cases], "unjudged": self.unjudged()}

    def unjudged(self) -> str | None:
        """Why the run could not judge the contract (an error or inconclusive verdict), naming
        its cause; None when it could (pass, fail) or has not run."""
        if self.document is None:
            return self.shared_unjudged
        doc = self.document
        if doc["verdict"] not in ("error", "inconclusive"):
            return None
        roots = doc["root_causes"]
        why = f"[{roots[0]['cause']}] {roots[0]['summary']}" if roots else \
            doc.get("error", "").split("\n")[0] or \
            "; ".join(sorted({item["reason"] for item in doc["not_tested"]})) or "no check ran"
        return f"the run is {doc['verdict'].upper()}: {why}"

    def write_reports(self, allure: AllureOutput | None = None) -> None:
        """Every report of the run, Allure's results too when pytest was asked for them."""
        if self._written or self.result is None or self.document is None:
            return
        from harness.reports.present import write_reports

        self._written = True
        self.unwritten = write_reports(self.result.config, self.document, allure=allure)
        for line in self.unwritten:
            print(f"smoke-harness: error: {line}", file=sys.stderr, flush=True)

    def summary(self, colour: bool, width: int | None = None) -> str:
        from harness.reports.terminal import render

        assert self.document is not None
        return render(self.document, verbose=self.verbose, colour=colour, width=width)

    def exit_code(self) -> int:
        """The verdict's exit code; 2 when a report could not be written."""
        if self.unwritten:
            return 2
        return self.result.verdict.exit_code if self.result is not None else 0


def _say(line: str) -> None:
    print(f"smoke-harness: {line}", flush=True)

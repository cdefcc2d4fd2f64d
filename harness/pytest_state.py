"""What the pytest plugin keeps for a session: the planned cases and, once judged, outcomes.

Under xdist the controller judges and hands every worker the cases with their outcomes
(plain dicts through `workerinput`), so each request is sent once, however many workers.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from typing import Any

import pytest

from harness.config import RunConfig
from harness.plan.build import build_plan
from harness.plan.model import Check
from harness.plan.show import plan_config

WORKER_KEY = "smoke_cases"


@dataclass
class CheckCase:
    """A check as a pytest parameter: it shows as its id; its outcome once judged."""

    key: str
    id: str
    test_name: str
    writes: bool
    outcome: str = "pending"
    cause: str | None = None
    message: str = ""
    rendered: str = ""
    detail: str = ""
    suite: str = ""
    contract: str = ""
    latency_ms: int | None = None
    allure: bool = False

    def __repr__(self) -> str:
        return self.id

    @classmethod
    def of(cls, check: Check) -> CheckCase:
        return cls(check.key, check.id, check.family.test_name, check.writes, suite=check.suite)


class SmokeState:
    """The session's configuration, cases, and (after the engine ran) result and reports."""

    def __init__(self, run_config: RunConfig | None, cases: list[CheckCase],
                 verbose: bool = False) -> None:
        self.run_config = run_config
        self.cases = cases
        self.verbose = verbose
        self.result: Any = None
        self.document: dict[str, Any] | None = None
        self.printed = False
        self._written = False

    @classmethod
    def planned(cls, run_config: RunConfig, verbose: bool = False) -> SmokeState:
        plan = build_plan(plan_config(run_config))
        return cls(run_config, [CheckCase.of(check) for check in plan.checks], verbose)

    @classmethod
    def from_worker(cls, cases: list[dict[str, Any]]) -> SmokeState:
        return cls(None, [CheckCase(**case) for case in cases])

    def distributed(self, config: pytest.Config) -> bool:
        """Tests run on xdist workers (the controller collects nothing)."""
        return getattr(config.option, "dist", "no") != "no" and \
            bool(getattr(config.option, "numprocesses", None))

    def execute(self, selected: list[str] | None, allure_dir: str | None = None) -> None:
        from harness.engine import run
        from harness.reports.document import build_document
        from harness.stacks.signals import interrupts_as_keyboard_interrupt

        assert self.run_config is not None, "only the controller executes"
        with interrupts_as_keyboard_interrupt():
            self.result = run(self.run_config, only=selected, say=_say)
        self.document = build_document(self.result)
        by_key = {o.check.key: o for o in self.result.outcomes}
        latency = {c["id"]: c["latency_ms"] for c in self.document["checks"]}
        for case in self.cases:
            case.contract, case.allure = self.result.config.contract.name, bool(allure_dir)
            outcome = by_key.get(case.key)
            if outcome is None:
                case.outcome = "not-tested"
                case.message = self.result.error or "not part of this run"
                continue
            case.outcome, case.message = outcome.outcome, self.result.redactor.text(
                outcome.message)
            case.cause = outcome.cause.code if outcome.cause else None
            case.latency_ms = latency.get(outcome.check.node_id)
            if outcome.finding is not None:
                case.rendered = self.result.redactor.text(outcome.finding.render())
                case.detail = self.result.redactor.text(outcome.finding.detail)
        if allure_dir:
            from harness.reports.allure import write_environment

            write_environment(allure_dir, {
                "target": self.document["target"], "verdict": self.result.verdict,
                "version": self.result.version or "unknown",
                "contract": self.result.config.contract.name})

    def for_workers(self) -> list[dict[str, Any]]:
        return [asdict(case) for case in self.cases]

    def write_reports(self) -> None:
        if self._written or self.result is None or self.document is None:
            return
        from harness.reports.baseline import load_baseline
        from harness.reports.document import write_json
        from harness.reports.github import write_github_outputs
        from harness.reports.signoff import write_signoff

        self._written = True
        config = self.result.config
        if config.report_json:
            write_json(config.report_json, self.document)
        if config.signoff_report:
            baseline = load_baseline(config.baseline) if config.baseline else None
            write_signoff(config.signoff_report, self.document, baseline)
        write_github_outputs(self.document, os.environ)

    def summary(self, colour: bool) -> str:
        from harness.reports.terminal import render

        assert self.document is not None
        return render(self.document, verbose=self.verbose, colour=colour)

    def exit_code(self) -> int:
        from harness.judge.verdict import EXIT_CODES

        return EXIT_CODES[self.result.verdict] if self.result is not None else 0


def _say(line: str) -> None:
    print(f"smoke-harness: {line}", flush=True)

"""What the pytest plugin keeps for a session: the planned cases and, once judged, outcomes.

Under xdist the controller judges and hands every worker the cases with their outcomes
(plain dicts through `workerinput`), so each request is sent once, however many workers.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from harness.config import RunConfig
from harness.plan.build import build_plan
from harness.plan.show import plan_config
from harness.records.plan import Check

WORKER_KEY = "smoke_cases"
WORKER_WAIT_S = 900.0  # bound on a worker waiting for the controller's judged outcomes


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
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self.outcomes_file: str | None = None

    @classmethod
    def planned(cls, run_config: RunConfig, verbose: bool = False) -> SmokeState:
        plan = build_plan(plan_config(run_config))
        return cls(run_config, [CheckCase.of(check) for check in plan.checks], verbose)

    @classmethod
    def from_worker(cls, shared: dict[str, Any]) -> SmokeState:
        state = cls(None, [CheckCase(**case) for case in shared["cases"]])
        state.outcomes_file = shared["outcomes"]
        return state

    def start_in_background(self, allure_dir: str | None) -> None:
        """xdist: judge while the workers start; they read the outcomes from a file."""
        handle, path = tempfile.mkstemp(prefix="smoke-outcomes-", suffix=".json")
        os.close(handle)
        os.unlink(path)
        self.outcomes_file = path

        def work() -> None:
            try:
                self.execute(None, allure_dir, signals=False)
            except BaseException as exc:  # noqa: BLE001 - re-raised in the main thread
                self._error = exc
            finally:
                temporary = f"{path}.part"
                Path(temporary).write_text(json.dumps(self.for_workers()["cases"]))
                os.replace(temporary, path)

        self._thread = threading.Thread(target=work, name="smoke-engine", daemon=True)
        self._thread.start()

    def finish_background(self) -> None:
        if self._thread is not None:
            self._thread.join()
            self._thread = None
            if self.outcomes_file:
                Path(self.outcomes_file).unlink(missing_ok=True)
        if self._error is not None:
            raise self._error

    def judged(self, case: CheckCase) -> CheckCase:
        """On a worker, the case with the controller's outcome (waits for it, bounded)."""
        if self.outcomes_file is None or case.outcome != "pending":
            return case
        deadline = time.monotonic() + WORKER_WAIT_S
        while not os.path.exists(self.outcomes_file):
            if time.monotonic() > deadline:
                case.outcome, case.message = "error", "no outcome from the controller in time"
                return case
            time.sleep(0.05)
        judged = {item["key"]: item for item in json.loads(Path(self.outcomes_file).read_text())}
        for known in self.cases:
            known.__dict__.update(judged.get(known.key, {}))
        self.outcomes_file = None
        return case

    def execute(self, selected: list[str] | None, allure_dir: str | None = None,
                signals: bool = True) -> None:
        from harness.engine import run
        from harness.process.signals import interrupts_as_keyboard_interrupt
        from harness.reports.document import build_document

        assert self.run_config is not None, "only the controller executes"
        if signals:
            with interrupts_as_keyboard_interrupt():
                self.result = run(self.run_config, only=selected, say=_say)
        else:
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

    def for_workers(self) -> dict[str, Any]:
        return {"cases": [asdict(case) for case in self.cases], "outcomes": self.outcomes_file}

    def write_reports(self) -> None:
        if self._written or self.result is None or self.document is None:
            return
        from harness.reports.present import write_reports

        self._written = True
        write_reports(self.result.config, self.document)

    def summary(self, colour: bool) -> str:
        from harness.reports.terminal import render

        assert self.document is not None
        return render(self.document, verbose=self.verbose, colour=colour)

    def exit_code(self) -> int:
        from harness.judge.verdict import EXIT_CODES

        return EXIT_CODES[self.result.verdict] if self.result is not None else 0


def _say(line: str) -> None:
    print(f"smoke-harness: {line}", flush=True)

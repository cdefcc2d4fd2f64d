"""Fixtures for the harness's own tests: run the CLI for real, start reference stacks."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from harness.config import resolve
from harness.engine import RunResult, run
from harness.judge.kinds import shown_key
from harness.reports.schema import validate_report
from harness.stacks.reference import ReferenceStack

# The harness's own runs go to a history of their own, never the developer's.
os.environ["XDG_STATE_HOME"] = tempfile.mkdtemp(prefix="smoke-tests-state-")

REPORT_KEYS = {"verdict", "target", "started_at", "duration_s", "requests_sent", "root_causes",
               "not_tested", "checks"}
CHECK_KEYS = {"id", "suite", "outcome", "cause", "blocked_by", "message", "reproduce",
              "latency_ms"}
OUTCOMES = ("passed", "failed", "blocked", "not-tested", "known-issue", "skipped", "error")


@dataclass
class HarnessRun:
    """What one `python -m harness` process did: exit code, output, parsed JSON report."""

    code: int
    stdout: str
    stderr: str
    report: dict[str, Any] | None
    seconds: float
    files: list[Path] = field(default_factory=list)

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    @property
    def failed(self) -> dict[str, str | None]:
        """Failed check id -> cause code."""
        assert self.report is not None, f"no report written:\n{self.output}"
        return {c["id"]: c["cause"] for c in self.report["checks"]
                if c["outcome"] in ("failed", "error")}

    @property
    def root_cause(self) -> str | None:
        """The first root cause's code (None when nothing failed)."""
        assert self.report is not None, f"no report written:\n{self.output}"
        roots = self.report["root_causes"]
        return roots[0]["cause"] if roots else None

    @property
    def causes(self) -> set[str | None]:
        return set(self.failed.values())


def assert_valid_report(report: dict[str, Any]) -> None:
    """The JSON report has the shape the README documents and its schema says
    (fixtures/report.schema.json: every real run's document is checked against it)."""
    validate_report(report)
    assert report["verdict"] in ("pass", "fail", "inconclusive", "error")
    if report["verdict"] == "error" and not report["checks"]:
        assert report.get("error"), report
        return
    assert report.keys() >= REPORT_KEYS, report.keys()
    assert isinstance(report["duration_s"], (int, float))
    for check in report["checks"]:
        assert check.keys() >= CHECK_KEYS, check
        assert check["outcome"] in OUTCOMES
        if check["outcome"] in ("failed", "error"):
            assert check["cause"], f"failed check without a cause code: {check}"


def make_runner(tmp_path: Path) -> Callable[..., HarnessRun]:
    """Run `python -m harness ARGS` in a subprocess with a JSON report; env overrides allowed."""
    counter = iter(range(1000))

    def run(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> HarnessRun:
        report_path = tmp_path / f"report-{next(counter)}.json"
        full_env = {k: v for k, v in os.environ.items()
                    if not k.startswith(("SMOKE_", "REFERENCE_", "PYTEST_"))}
        full_env.update(env or {})
        started = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "harness", "--report-json", str(report_path), *args],
            capture_output=True, text=True, timeout=timeout, env=full_env, cwd=tmp_path,
        )
        report = json.loads(report_path.read_text()) if report_path.exists() else None
        if report is not None:
            assert_valid_report(report)
        return HarnessRun(proc.returncode, proc.stdout, proc.stderr, report,
                          time.perf_counter() - started, [report_path])

    return run


@pytest.fixture
def run_harness(tmp_path: Path) -> Callable[..., HarnessRun]:
    return make_runner(tmp_path)


@pytest.fixture
def closed_port() -> Iterator[Callable[[], int]]:
    """Ports that refuse connections for the whole test: bound, never listening, so no other
    test (another xdist worker's stack) can take them meanwhile."""
    held: list[socket.socket] = []

    def port() -> int:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        held.append(sock)
        return sock.getsockname()[1]

    yield port
    for sock in held:
        sock.close()


@pytest.fixture
def reference_stack() -> Iterator[Callable[..., ReferenceStack]]:
    """Start reference stacks (with faults) in-process; all are stopped after the test."""
    started: list[ReferenceStack] = []

    def start(*faults: str, **settings: Any) -> ReferenceStack:
        stack = ReferenceStack(list(faults))
        if settings:
            from dataclasses import replace

            stack.settings = replace(stack.settings, **settings)
        started.append(stack.start())
        return stack

    yield start
    for stack in started:
        stack.stop()


@pytest.fixture
def run_engine() -> Callable[..., RunResult]:
    """Run the whole pipeline in-process: option values by dest, env overrides allowed; what
    the run says goes to `said` when one is given."""

    def go(values: dict[str, Any] | None = None, env: dict[str, str] | None = None,
           said: list[str] | None = None) -> RunResult:
        say = said.append if said is not None else (lambda line: None)
        return run(resolve(values or {}, env=env or {}), say=say)

    return go


def failed_causes(result: RunResult) -> dict[str, str]:
    """Failed check key -> cause code of an in-process run."""
    return {shown_key(o.check.key): o.cause.code for o in result.outcomes
            if o.outcome == "failed" and o.cause is not None}

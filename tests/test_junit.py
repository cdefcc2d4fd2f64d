"""CI sees red: the JUnit file of a run that could not judge the contract has a failing test
naming the cause, and every skipped check says why. The real CLI against a closed port."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

from junitparser import Error, JUnitXml, Skipped

from tests.conftest import HarnessRun


def test_an_unreachable_target_is_red_in_junit(run_harness: Callable[..., HarnessRun],
                                               tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    with socket.socket() as closed:  # bound, never listening: refused, and no one else's
        closed.bind(("127.0.0.1", 0))
        run = run_harness(f"http://127.0.0.1:{closed.getsockname()[1]}", "--timeout", "1",
                          "--junitxml", str(junit))
    assert run.code == 2, run.output
    suite = next(iter(JUnitXml.fromfile(str(junit))))
    assert suite.errors == 1 and suite.failures == 0, (suite.errors, suite.failures)
    cases = list(suite)
    errors = [case for case in cases if any(isinstance(r, Error) for r in case.result)]
    assert [(case.classname, case.name) for case in errors] == [("smoke-harness", "run")]
    error = next(r for r in errors[0].result if isinstance(r, Error))
    assert "the run is ERROR: [target-unreachable]" in (error.message or "")
    skipped = [r for case in cases for r in case.result if isinstance(r, Skipped)]
    assert len(skipped) == len(cases) - 1 > 10
    assert all("[target-unreachable]" in (r.message or "") for r in skipped)


def test_a_passing_run_has_a_passing_run_test(run_harness: Callable[..., HarnessRun],
                                              tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    run = run_harness("--suite", "health", "--junitxml", str(junit))
    assert run.code == 0, run.output
    suite = next(iter(JUnitXml.fromfile(str(junit))))
    assert suite.errors == 0 and suite.failures == 0
    run_case = next(case for case in suite if case.classname == "smoke-harness")
    assert run_case.name == "run" and run_case.is_passed

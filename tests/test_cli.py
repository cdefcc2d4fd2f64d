"""`python -m harness` as a user runs it: one summary, exit codes, reports, xdist parity."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.judge.causes import Cause
from harness.stacks.reference import ReferenceStack
from tests.conftest import HarnessRun


def test_main_job_prints_one_summary_and_passes(run_harness: Callable[..., HarnessRun],
                                                tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    run = run_harness("--junitxml", str(junit), "--signoff-report", str(tmp_path / "s.html"))
    assert run.code == 0, run.output
    assert run.stdout.count("VERDICT: PASS") == 1
    assert " passed in " not in run.stdout, "pytest's own summary is not printed as well"
    assert "Traceback" not in run.output and "_pytest.outcomes" not in run.output
    # the embedded stack's peer and outsider included (a quiet re-measurement may add one)
    assert run.report is not None and run.report["requests_sent"] <= 40
    assert junit.exists() and "testcase" in junit.read_text()
    assert "Root causes" in (tmp_path / "s.html").read_text() or run.report["verdict"] == "pass"


def test_plan_is_printed_without_sending_anything(run_harness: Callable[..., HarnessRun]) -> None:
    run = run_harness("http://127.0.0.1:9", "--plan")
    assert run.code == 0
    assert "requests (" in run.stdout and "GET /api/health" in run.stdout
    assert run.report is None


def test_unreachable_target_is_one_line_and_exit_2(run_harness: Callable[..., HarnessRun]) -> None:
    run = run_harness("http://127.0.0.1:9", "--timeout", "1")
    assert run.code == 2
    assert "[target-unreachable]" in run.stdout and "Traceback" not in run.output
    assert run.report is not None and run.report["verdict"] == "error"
    assert run.seconds < 30


@pytest.mark.parametrize("args", [("--timeout", "0"), ("--timeout=-1",),
                                  ("--max-requests", "0"), ("--wait-until-healthy", "0")])
def test_a_number_out_of_range_is_one_line_and_exit_2(
        run_harness: Callable[..., HarnessRun], args: tuple[str, ...]) -> None:
    run = run_harness("http://127.0.0.1:9", *args)
    assert run.code == 2, run.output
    errors = [line for line in run.output.splitlines() if "configuration error" in line]
    assert len(errors) == 1 and "must be" in errors[0] and "Traceback" not in run.output


@pytest.mark.parametrize("command", [("probe", "socketio", "http://127.0.0.1:9"),
                                     ("init", "http://127.0.0.1:9")])
def test_a_subcommand_refuses_a_zero_timeout(command: tuple[str, ...]) -> None:
    proc = subprocess.run([sys.executable, "-m", "harness", *command, "--timeout", "0"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "--timeout: must be a positive number of seconds, got 0" in proc.stderr


def test_malformed_contract_is_one_line(run_harness: Callable[..., HarnessRun],
                                        tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed")
    run = run_harness("--contract", str(bad))
    assert run.code == 2
    assert "not valid YAML at line 1" in run.stderr and "Traceback" not in run.output


def test_xdist_sends_each_request_once_and_agrees_with_serial(tmp_path: Path) -> None:
    root = Path(__file__).parent.parent
    reports = {}
    for name, extra in (("serial", ["-n", "0"]), ("parallel", ["-n", "2"])):
        reports[name] = tmp_path / f"{name}.json"
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", "suites", "-q", "-p", "no:randomly", *extra,
             "--fault", "dual-upgrade", f"--report-json={reports[name]}"],
            capture_output=True, text=True, timeout=180, cwd=root)
        assert proc.returncode == 1, proc.stdout[-3000:]
    serial, parallel = (json.loads(reports[name].read_text()) for name in reports)
    outcomes = [{c["id"]: (c["outcome"], c["cause"]) for c in doc["checks"]}
                for doc in (serial, parallel)]
    assert outcomes[0] == outcomes[1]
    assert serial["requests_sent"] == parallel["requests_sent"]


def test_cli_runs_xdist_arguments_in_one_process(run_harness: Callable[..., HarnessRun]) -> None:
    serial = run_harness("--fault", "dual-upgrade", "--junitxml", "/dev/null")
    parallel = run_harness("--fault", "dual-upgrade", "--", "-n", "2")
    assert "-n 2 ignored" in parallel.stderr
    for run in (serial, parallel):
        assert run.code == 1, run.output
    assert serial.report and parallel.report
    outcomes = [{c["id"]: (c["outcome"], c["cause"]) for c in r.report["checks"]}  # type: ignore[index]
                for r in (serial, parallel)]
    assert outcomes[0] == outcomes[1]
    assert serial.report["requests_sent"] == parallel.report["requests_sent"]


def test_pytest_runs_the_suites_against_a_fault(tmp_path: Path) -> None:
    report = tmp_path / "r.json"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "suites", "-q", "-p", "no:randomly", "--fault",
         "stale-service-map", f"--report-json={report}"],
        capture_output=True, text=True, timeout=120, cwd=Path(__file__).parent.parent)
    assert proc.returncode == 1, proc.stdout[-2000:]
    doc = json.loads(report.read_text())
    assert doc["root_causes"][0]["cause"] == Cause.STALE_CONFIG.code
    assert "test_service_map[service-map]" in proc.stdout


def test_schema_and_init_commands(tmp_path: Path) -> None:
    schema = subprocess.run([sys.executable, "-m", "harness", "schema"], capture_output=True,
                            text=True, timeout=60)
    assert schema.returncode == 0
    assert "protected_routes" in json.loads(schema.stdout)["properties"]


@pytest.mark.parametrize("given", ["positional", "--target-url"])
def test_the_reports_command_line_makes_the_same_run_again(
        given: str, run_harness: Callable[..., HarnessRun],
        reference_stack: Callable[..., ReferenceStack], tmp_path: Path) -> None:
    """The report's "how the run was made" names the URL once (as the positional, however it
    was given) with every option the run had, pytest's outputs and -v included: run again
    (with --plan, so nothing is sent) it parses and plans against the same target."""
    stack = reference_stack()
    url = [stack.url] if given == "positional" else ["--target-url", stack.url]
    junit = tmp_path / "junit.xml"
    run = run_harness(*url, "--junitxml", str(junit), "-v", "--timeout", "5")
    assert run.report is not None, run.output
    command = run.report["run"]["command"]
    words = shlex.split(command)
    assert words.count(stack.url) == 1, command
    assert "--target-url" not in words and "-v" in words, command
    assert words[words.index("--junitxml") + 1] == str(junit), command
    assert words[:3] == ["python", "-m", "harness"], command  # this interpreter below
    again = subprocess.run([sys.executable, *words[1:], "--plan"], capture_output=True, text=True,
                           timeout=60, cwd=tmp_path, env={
                               key: value for key, value in os.environ.items()
                               if not key.startswith(("SMOKE_", "REFERENCE_", "PYTEST_"))})
    assert again.returncode == 0, again.stdout + again.stderr
    assert "unrecognized argument" not in again.stderr
    assert stack.url in again.stdout, again.stdout

"""User errors: one clear line on stderr and exit 2, found before anything starts or is sent."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import HarnessRun


def one_line_error(run: HarnessRun) -> str:
    """The run ended with one error line (and the verdict line), no traceback, nothing sent."""
    assert run.code == 2, run.output
    assert "Traceback" not in run.output, run.output
    lines = run.stderr.strip().splitlines()
    assert lines[-1] == "VERDICT: ERROR (exit 2)", run.stderr
    assert len(lines) == 2, run.stderr
    assert "embedded reference stack" not in run.output, "nothing starts"
    return lines[0]


def test_unknown_fault_lists_the_known_names_once(run_harness: Callable[..., HarnessRun]) -> None:
    for extra in ((), ("--hermetic",)):
        line = one_line_error(run_harness("--fault", "nope", *extra))
        assert "unknown fault(s): nope" in line and line.count("dual-upgrade") == 1


def test_output_path_under_a_file_is_refused_before_the_run(
        run_harness: Callable[..., HarnessRun], tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    for flag in ("--report-json", "--signoff-report", "--junitxml"):
        run = run_harness(flag, str(blocker / "out" / "report"), timeout=30)
        line = one_line_error(run)
        assert flag in line and "is a file, not a folder" in line
    run = run_harness("--alluredir", str(blocker))
    assert "--alluredir" in one_line_error(run)


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
def test_a_folder_where_no_file_can_be_made_is_refused_before_the_run(
        run_harness: Callable[..., HarnessRun]) -> None:
    """Permissions alone do not tell (root may write anywhere, /proc takes no new file):
    making a file is tried."""
    for flag in ("--report-json", "--signoff-report"):
        line = one_line_error(run_harness(flag, "/proc/smoke-report"))
        assert f"{flag} /proc/smoke-report: cannot write there: no file can be made in /proc" \
            in line, line


def test_a_report_that_cannot_be_written_after_the_run_is_said_and_exit_2(
        run_engine, reference_stack, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """The folder went away while the run ran: the summary is still printed, each report that
    could not be written is one line, the others are written, and the exit code is 2."""
    from dataclasses import replace

    from harness.reports.present import present

    stack = reference_stack()
    result = run_engine({"target_url": stack.url, "no_history": True})
    gone = tmp_path / "gone"
    gone.write_text("a file where the report's folder was")
    result.config = replace(result.config, report_json=str(gone / "r.json"),
                            signoff_report=str(tmp_path / "page.html"))
    assert present(result) == 2
    out, err = capsys.readouterr()
    assert "VERDICT: PASS" in out and "Traceback" not in out + err
    assert f"smoke-harness: error: cannot write --report-json {gone / 'r.json'}" in err, err
    assert (tmp_path / "page.html").is_file()


def test_missing_folder_of_an_output_is_made(tmp_path: Path) -> None:
    from harness.reports.outputs import unwritable

    assert unwritable(str(tmp_path / "new" / "deeper" / "r.json")) is None
    assert unwritable(str(tmp_path)) == f"{tmp_path} is a directory"


def test_baseline_that_is_missing_or_not_a_report_is_one_line(
        run_harness: Callable[..., HarnessRun], tmp_path: Path) -> None:
    line = one_line_error(run_harness("--baseline", str(tmp_path / "none.json")))
    assert f"--baseline {tmp_path / 'none.json'}: cannot read it" in line, line
    (tmp_path / "other.json").write_text(json.dumps({"hello": 1}))
    line = one_line_error(run_harness("--baseline", str(tmp_path / "other.json")))
    assert "not a smoke-harness JSON report" in line


def test_baseline_without_signoff_shows_the_changes(run_harness: Callable[..., HarnessRun],
                                                    tmp_path: Path) -> None:
    first = run_harness()
    assert first.report is not None and first.code == 0, first.output
    before = dict(first.report)
    fixed = before["checks"][0]["id"]
    before["checks"] = [{**before["checks"][0], "outcome": "failed"}, *before["checks"][1:]]
    before["verdict"] = "fail"
    (tmp_path / "before.json").write_text(json.dumps(before))
    run = run_harness("--baseline", str(tmp_path / "before.json"))
    assert run.code == 0 and run.report is not None, run.output
    assert run.report["baseline"]["fixed"] == [fixed]
    assert run.report["baseline"]["newly_failing"] == []
    assert "since the baseline" in run.stdout and "(FAIL" in run.stdout
    assert f"fixed: 1 ({fixed.split('::', 1)[-1]})" in run.stdout


def test_unknown_suite_names_the_suites(run_harness: Callable[..., HarnessRun]) -> None:
    line = one_line_error(run_harness("--suite", "rest,bogus"))
    assert line.endswith("unknown suite 'bogus'; the suites are rest, socket, health"), line


def test_mistyped_option_names_the_closest(run_harness: Callable[..., HarnessRun]) -> None:
    line = one_line_error(run_harness("--targt-url", "http://127.0.0.1:9"))
    assert "unrecognized argument --targt-url: did you mean --target-url?" in line, line
    line = one_line_error(run_harness("--report-jsn=x.json"))
    assert "did you mean --report-json?" in line, line
    line = one_line_error(run_harness("--zzz"))
    assert "did you mean" not in line and "--help" in line, line


def test_an_expected_service_address_that_is_not_a_url_is_one_line(
        run_harness: Callable[..., HarnessRun]) -> None:
    """A name where the address belongs was a FAIL (stale-config), exit 1: a user error."""
    line = one_line_error(run_harness("--expect-service", "messaging=messaging"))
    assert "--expect-service messaging=messaging: 'messaging' is not a URL" in line, line

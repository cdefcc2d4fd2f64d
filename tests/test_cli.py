"""`python -m harness` end to end: verdicts, exit codes and the JSON report."""

from __future__ import annotations

import pytest

from tests.conftest import HarnessRun


def test_embedded_healthy_stack_passes(run_harness) -> None:
    run: HarnessRun = run_harness()
    assert run.code == 0, run.output
    assert run.report["verdict"] == "pass"
    assert "VERDICT: PASS" in run.stdout
    assert {c["suite"] for c in run.report["checks"]} >= {"rest", "socket", "health"}
    assert not run.failed


def test_unreachable_target_exits_2_quickly_with_one_clear_line(run_harness) -> None:
    run = run_harness("http://127.0.0.1:9")
    assert run.code == 2
    assert run.seconds < 10
    assert "target-unreachable" in run.stderr.splitlines()[0]
    assert "Traceback" not in run.output
    assert run.report["verdict"] == "error"
    assert "target-unreachable" in run.report["error"]


def test_port_mismatch_fails_and_names_the_cause(run_harness) -> None:
    run = run_harness("--fault", "port-mismatch")
    assert run.code == 1, run.output
    assert run.report["verdict"] == "fail"
    assert "upstream-unreachable" in run.causes
    assert "upstream-unreachable" in run.stdout


@pytest.mark.parametrize("url", ["not-a-url", "ftp://example.com", "http://host:port"])
def test_malformed_url_is_a_configuration_error(run_harness, url: str) -> None:
    run = run_harness(url)
    assert run.code == 2
    assert "configuration error" in run.stderr and "Traceback" not in run.output
    assert run.report["verdict"] == "error"


def test_malformed_contract_is_one_line_and_exit_2(run_harness, tmp_path) -> None:
    contract = tmp_path / "bad.yaml"
    contract.write_text("name: x\nprotected_routes:\n  - {method: FETCH, path: api}\n")
    run = run_harness("--contract", str(contract))
    assert run.code == 2
    first = run.stderr.splitlines()[0]
    assert "protected_routes.0.method" in first and "protected_routes.0.path" in first
    assert "Traceback" not in run.output

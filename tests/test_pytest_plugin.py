"""The pytest side of a run: one plan, collected as it is run; nothing sent to collect."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.config import resolve
from harness.pytest_run import HandOver
from harness.pytest_state import CheckCase, SmokeState
from harness.stacks.reference import ReferenceStack

ROOT = Path(__file__).resolve().parents[1]


def pytest_in(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest", "suites", "-p", "no:randomly", *args],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)


def test_collect_only_sends_nothing_and_collects_the_plan(
        reference_stack: Callable[..., ReferenceStack]) -> None:
    stack = reference_stack()
    collected = pytest_in("--target-url", stack.url, "--collect-only", "-q")
    assert collected.returncode == 0, collected.stdout[-2000:] + collected.stderr[-2000:]
    assert stack.requests_received == 0, "collecting sent requests"
    assert "VERDICT" not in collected.stdout
    nodes = {line.strip() for line in collected.stdout.splitlines() if "::" in line}
    shown = subprocess.run([sys.executable, "-m", "harness", stack.url, "--plan"],
                           capture_output=True, text=True, timeout=60, cwd=ROOT)
    planned = {line.split("  --")[0].strip() for line in shown.stdout.splitlines()
               if line.startswith("  suites/")}
    assert planned and nodes == planned | {"smoke-harness::run"}, \
        "pytest collects exactly the run's plan, and the run itself"
    assert stack.requests_received == 0


def test_xdist_workers_show_the_controllers_judged_outcomes(
        reference_stack: Callable[..., ReferenceStack]) -> None:
    stack = reference_stack("stale-service-map")
    proc = pytest_in("--target-url", stack.url, "-n", "2", "-rA",
                     "--expect-service", f"messaging={stack.messaging_url}")
    assert proc.returncode == 1, proc.stdout[-3000:]
    assert re.search(r"FAILED suites/health/test_health\.py::test_service_map\[service-map\]",
                     proc.stdout), proc.stdout[-3000:]
    assert "[stale-config]" in proc.stdout
    assert proc.stdout.count("VERDICT: FAIL") == 1


def test_a_case_the_plan_does_not_hold_is_an_error() -> None:
    state = SmokeState([CheckCase("list[GET /api/x]", "GET /api/x",
                                  "suites/rest/test_happy_path.py::test_lists", False,
                                  outcome="passed")])
    stray = CheckCase("list[GET /api/y]", "GET /api/y",
                      "suites/rest/test_happy_path.py::test_lists", False)
    assert state.judged(stray).outcome == "error"
    assert "not part of this run's plan" in stray.message
    assert state.judged(state.cases[0]).outcome == "passed"


def test_the_cli_hands_its_configuration_over_as_a_named_plugin() -> None:
    manager = pytest.PytestPluginManager()
    handed = HandOver(resolve({}, env={}), verbose=False)
    manager.register(handed)
    assert manager.get_plugin("smoke-cli") is handed

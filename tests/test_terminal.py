"""The terminal summary: colour as pytest decides it, wrapped to the terminal, words agreeing
with their numbers. The CLI against a real closed port and the embedded stack."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from harness.reports.terminal import counts_phrase, render, use_colour
from tests.conftest import HarnessRun

ESCAPE = re.compile(r"\x1b\[[0-9;]*m")


@pytest.mark.parametrize(("env", "tty", "colour"), [
    ({}, True, True), ({}, False, False),
    ({"NO_COLOR": "1"}, True, False), ({"NO_COLOR": ""}, True, True),
    ({"FORCE_COLOR": "1"}, False, True), ({"PY_COLORS": "1"}, False, True),
    ({"PY_COLORS": "0"}, True, False), ({"PY_COLORS": "0", "FORCE_COLOR": "1"}, True, False),
    ({"PY_COLORS": "1", "NO_COLOR": "1"}, False, True),
    ({"NO_COLOR": "1", "FORCE_COLOR": "1"}, False, False),
    ({"TERM": "dumb"}, True, False), ({"TERM": "dumb", "FORCE_COLOR": "1"}, True, True),
])
def test_colour_follows_pytest_s_rules(env: dict[str, str], tty: bool, colour: bool) -> None:
    main, side = os.openpty()
    try:
        with os.fdopen(os.dup(side), "w") if tty else open(os.devnull, "w") as stream:
            assert stream.isatty() is tty
            assert use_colour(stream, env) is colour
    finally:
        os.close(main)
        os.close(side)


def on_a_terminal(*args: str, env: dict[str, str]) -> str:
    """`python -m harness ARGS` with its stdout on a pseudo-terminal; what it printed there."""
    main, side = os.openpty()
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SMOKE_", "PYTEST_"))}
    clean.pop("COLUMNS", None)
    proc = subprocess.Popen([sys.executable, "-m", "harness", *args], stdout=side,
                            stderr=subprocess.DEVNULL, env={**clean, **env},
                            cwd=Path(__file__).parent.parent)
    os.close(side)
    chunks = []
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # the other side closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    proc.wait(timeout=60)
    os.close(main)
    return b"".join(chunks).decode().replace("\r\n", "\n")


def test_the_cli_colours_and_wraps_on_a_terminal(closed_port: Callable[[], int]) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    shown = on_a_terminal(url, "--timeout", "1", env={"COLUMNS": "50"})
    assert "\x1b[1;31mERROR\x1b[0m" in shown, shown
    for line in shown.splitlines():
        if not line.lstrip().startswith("reproduce:"):
            assert len(ESCAPE.sub("", line)) <= 50, line
    reproduce = [line for line in shown.splitlines() if "reproduce:" in line]
    assert reproduce and reproduce[0].rstrip().endswith("'ngrok-skip-browser-warning: 1'")
    plain = on_a_terminal(url, "--timeout", "1", env={"NO_COLOR": "1", "COLUMNS": "300"})
    assert "\x1b[" not in plain
    assert "1 request sent" in plain and "1 requests" not in plain


def test_a_pipe_is_neither_coloured_nor_wrapped(run_harness: Callable[..., HarnessRun],
                                                closed_port: Callable[[], int]) -> None:
    run = run_harness(f"http://127.0.0.1:{closed_port()}", "--timeout", "1",
                      env={"COLUMNS": "40"})
    last = run.stdout.strip().splitlines()[-1]
    assert last.startswith("VERDICT: ERROR") and last.endswith("1 request sent"), run.stdout
    forced = run_harness(f"http://127.0.0.1:{closed_port()}", "--timeout", "1",
                         env={"FORCE_COLOR": "1"})
    assert "\x1b[1;31mERROR\x1b[0m" in forced.stdout


def _doc(reasons: list[str], checks: int = 1) -> dict[str, Any]:
    return {"checks": [{"id": f"suites/x.py::t[{n}]", "outcome": "passed", "suite": "rest"}
                       for n in range(checks)],
            "not_tested": [{"check": f"suites/x.py::u[{r}]", "reason": r} for r in reasons],
            "root_causes": [{"cause": "auth-not-enforced", "summary": "s", "evidence": "e",
                             "checks": ["suites/x.py::t[0]"], "blocked": 0,
                             "next_step": "n"}],
            "known_issues": [], "verdict": "fail", "duration_s": 1.0, "target": "t",
            "requests_sent": 1, "requests_by_suite": {"rest": 1}}


def test_the_verdict_line_names_every_reason_or_how_many_more() -> None:
    four = ["no token", "read-only", "no outsider", "no service log"]
    assert counts_phrase(_doc(four)).endswith("4 not tested: no token, read-only, no outsider, "
                                              "no service log")
    six = [*four, "request budget", "no peer"]
    assert counts_phrase(_doc(six)).endswith("... and 3 more reasons")
    five = [*four, "request budget"]
    assert counts_phrase(_doc(five)).endswith("... and 2 more reasons")


def test_one_is_singular() -> None:
    text = render(_doc([]))
    assert "1 of 1 check passed" in text and "(1 check)" in text
    assert "(1 request)" in text and "1 request sent" in text
    assert "checks)" not in text and "1 requests" not in text


def test_plan_and_budget_notes_are_singular_for_one(
        run_harness: Callable[..., HarnessRun], closed_port: Callable[[], int]) -> None:
    shown = run_harness("--max-requests", "1", "--plan")
    assert "checks, 1 request (health 1) within --max-requests 1" in shown.stdout, shown.stdout
    run = run_harness(f"http://127.0.0.1:{closed_port()}", "--max-requests", "1",
                      "--timeout", "1")
    assert "1 requests" not in run.output and "1 checks" not in run.output, run.output


def test_each_root_cause_shows_its_severity_and_the_headline_counts_them() -> None:
    doc = _doc([])
    hole = doc["root_causes"][0]
    doc["root_causes"] = [{**hole, "severity": "security"},
                          {**hole, "cause": "stale-config", "severity": "drift"},
                          {**hole, "cause": "slow-response", "severity": "drift"}]
    lines = render(doc).splitlines()
    assert lines[1] == "3 root causes: 1 security, 2 drift"
    shown = [line.strip() for line in lines if line.strip().startswith("severity: ")]
    assert shown == ["severity: security; next step: n", "severity: drift; next step: n",
                     "severity: drift; next step: n"]

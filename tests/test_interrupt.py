"""Ctrl-C in the middle of a run: what answered is judged, what was pending is named, what did
not run is said, and the verdict is never a pass. The real CLI, a real SIGINT, a live server
with one route that hangs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.json_server import JsonHandler, serving

ROOT = Path(__file__).resolve().parents[1]


class OneRouteHangs(JsonHandler):
    reached = threading.Event()  # the hanging route was asked: the run is in the middle

    def _answer(self) -> None:
        self.body()
        if self.path.startswith("/api/notifications"):
            OneRouteHangs.reached.set()
            time.sleep(30)
        if self.path.startswith("/api/health"):
            self.send_json(200, {"status": "ok"})
        else:
            self.send_json(401, {"error": "No token provided"})

    do_GET = do_POST = _answer


@pytest.fixture
def hanging() -> Iterator[str]:
    OneRouteHangs.reached.clear()
    with serving(OneRouteHangs) as url:
        yield url


def test_an_interrupted_run_judges_what_answered_and_names_what_was_pending(
        hanging: str, tmp_path: Path) -> None:
    report = tmp_path / "r.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMOKE_")}
    proc = subprocess.Popen([sys.executable, "-m", "harness", hanging, "--suite", "rest",
                             "--timeout", "25", "--report-json", str(report)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=tmp_path, env=env)
    assert OneRouteHangs.reached.wait(60), "the run never reached the hanging route"
    time.sleep(0.5)  # the other requests of that stage answer meanwhile
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 2, out + err
    doc = json.loads(report.read_text())
    assert doc["verdict"] == "inconclusive"
    assert "GET /api/notifications" in doc["error"] and "still waiting for" in doc["error"]
    outcomes = {check["id"]: check["outcome"] for check in doc["checks"]}
    assert any(outcome == "passed" for outcome in outcomes.values()), outcomes
    assert any(outcome == "not-tested" for outcome in outcomes.values()), outcomes
    assert "Traceback" not in out + err


def test_an_interrupt_while_a_session_waits_blames_the_interrupt_not_the_target(
        reference_stack, tmp_path: Path) -> None:
    """--sequential, the create never answers, the Socket.IO session is connected and waits
    for the conversation: Ctrl-C names the request on the wire and how many were still
    waiting for their turn; the session's checks are not tested because of the interrupt (it
    used to say 'no token to connect with' after a login that worked)."""
    stack = reference_stack("create-never-responds")
    settings = stack.settings
    report = tmp_path / "r.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMOKE_")}
    env.update(SMOKE_USERNAME=settings.username, SMOKE_PASSWORD=settings.password)
    proc = subprocess.Popen([sys.executable, "-m", "harness", stack.url, "--sequential",
                             "--no-history", "--timeout", "25", "--report-json", str(report)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=tmp_path, env=env)
    deadline = time.monotonic() + 60
    while "create" not in stack.hanging and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "create" in stack.hanging, "the run never reached the create"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 2 and "Traceback" not in out + err, out + err
    doc = json.loads(report.read_text())
    assert "still waiting for POST /api/conversations" in doc["error"], doc["error"]
    assert "waiting for their turn, not sent" in doc["error"], doc["error"]
    socket = {item["check"]: item["reason"] for item in doc["not_tested"]
              if "/socket/" in item["check"]}
    assert socket and not any("no token" in reason for reason in socket.values()), socket

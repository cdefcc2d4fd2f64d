"""The run history: every run appended to a local SQLite file only its owner reads, listed by
`python -m harness history`, safe for concurrent runs, and never holding a secret."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from harness.history import HistoryStore
from harness.stacks.reference import ReferenceStack
from tests.conftest import HarnessRun

ROOT = Path(__file__).resolve().parents[1]


def test_every_run_is_appended_and_listed(run_harness: Callable[..., HarnessRun],
                                          tmp_path: Path) -> None:
    history = tmp_path / "state" / "history.sqlite"
    first = run_harness("--history", str(history))
    second = run_harness("--history", str(history), "--fault", "double-emit")
    assert (first.code, second.code) == (0, 1)
    assert stat.S_IMODE(history.stat().st_mode) == 0o600
    runs = HistoryStore(history).runs("embedded")
    assert [run.verdict for run in runs] == ["fail", "pass"]
    assert runs[0].causes[0] == "duplicate-delivery" and runs[0].requests_sent > 0
    listed = subprocess.run([sys.executable, "-m", "harness", "history", "embedded",
                             "--history", str(history)], capture_output=True, text=True,
                            timeout=60, cwd=ROOT)
    assert listed.returncode == 0
    lines = listed.stdout.strip().splitlines()
    assert len(lines) == 2 and "FAIL" in lines[0] and "duplicate-delivery" in lines[0]
    with sqlite3.connect(history) as db:
        checks = db.execute("SELECT COUNT(*) FROM checks").fetchone()[0]
    assert checks > 60, "each check's outcome, cause and latency"


def test_no_history_and_an_unwritable_history(run_harness: Callable[..., HarnessRun],
                                              tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    explicit = run_harness("--history", str(blocked / "history.sqlite"))
    assert explicit.code == 2 and "configuration error" in explicit.stderr
    assert "Traceback" not in explicit.output
    skipped = run_harness("--no-history", env={"XDG_STATE_HOME": str(blocked)})
    assert skipped.code == 0 and "history" not in skipped.stderr
    warned = run_harness(env={"XDG_STATE_HOME": str(blocked)})
    assert warned.code == 0, "an unwritable default history is a warning"
    assert "warning" in warned.stderr and "not in the history" in warned.stderr


def test_no_secret_reaches_the_history(run_harness: Callable[..., HarnessRun],
                                       tmp_path: Path) -> None:
    history = tmp_path / "history.sqlite"
    with ReferenceStack() as stack:
        settings = stack.settings
        secrets = [settings.password, settings.peer_password, settings.jwt_secret]
        run = run_harness(stack.url, "--history", str(history), env={
            "SMOKE_USERNAME": settings.username, "SMOKE_PASSWORD": settings.password,
            "SMOKE_PEER_USERNAME": settings.peer_username,
            "SMOKE_PEER_PASSWORD": settings.peer_password,
            "SMOKE_JWT_SECRET": settings.jwt_secret})
    assert run.code == 0, run.output
    stored = b"".join(path.read_bytes() for path in tmp_path.iterdir())
    assert not any(secret.encode() in stored for secret in secrets)


def test_concurrent_runs_never_corrupt_it(tmp_path: Path) -> None:
    history = tmp_path / "history.sqlite"
    document = {"started_at": "now", "target": "t", "verdict": "pass", "run": {"contract": "c"},
                "checks": [{"id": f"c{i}", "outcome": "passed"} for i in range(50)]}
    script = ("import sys, json\nfrom harness.history import HistoryStore\n"
              "store = HistoryStore(sys.argv[1])\n"
              f"doc = json.loads({str(__import__('json').dumps(document))!r})\n"
              "for _ in range(40):\n    store.append(doc, 't')\n")
    procs = [subprocess.Popen([sys.executable, "-c", script, str(history)], cwd=ROOT,
                              env={**os.environ, "PYTHONPATH": str(ROOT)}) for _ in range(4)]
    assert all(proc.wait(60) == 0 for proc in procs)
    with sqlite3.connect(history) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 160
        assert db.execute("SELECT COUNT(*) FROM checks").fetchone()[0] == 160 * 50


def test_baseline_last_compares_with_the_last_run_of_this_contract_and_target(
        run_harness: Callable[..., HarnessRun], tmp_path: Path) -> None:
    history = tmp_path / "history.sqlite"
    first = run_harness("--history", str(history), "--baseline", "last")
    assert first.code == 0 and first.report is not None
    assert any("no earlier run" in note for note in first.report["notes"]), first.report["notes"]
    assert "note: --baseline last: no earlier run" in first.stdout, "said where it is read"
    second = run_harness("--history", str(history), "--baseline", "last",
                         "--fault", "double-emit")
    assert second.report is not None and "baseline" in second.report, second.output
    assert second.report["baseline"]["previous_verdict"] == "pass"
    assert any("test_delivered_once" in check
               for check in second.report["baseline"]["newly_failing"])
    refused = run_harness("--no-history", "--baseline", "last")
    assert refused.code == 2 and "--baseline last" in refused.stderr


def test_recent_runs_and_their_latencies_are_of_one_contract_and_target(
        tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite")

    def doc(contract: str, ms: int) -> dict:
        return {"started_at": f"2026-12-08T03:00:0{ms % 10}+00:00", "target": "http://x",
                "verdict": "pass", "run": {"contract": contract}, "root_causes": [],
                "checks": [{"id": "suites/a.py::t[x]", "outcome": "passed", "latency_ms": ms}]}

    for ms in (10, 20, 30):
        store.append(doc("c", ms), "embedded")
    store.append(doc("other", 99), "embedded")
    store.append(doc("c", 77), "http://elsewhere")
    runs, latencies = store.recent("c", "embedded", limit=2)
    assert [run.id for run in runs] == [3, 2]
    assert latencies == {"suites/a.py::t[x]": {3: 30, 2: 20}}

"""`python -m harness watch`: live restarts of the reference stack run in another process, a
new public URL from a (fake) local ngrok agent, a fault switched on between two runs; every
request the stacks received is one watch announced (its runs and its polls)."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from harness.history import HistoryStore
from harness.stacks.reference import ReferenceStack
from harness.stacks.reference.settings import ReferenceSettings
from harness.watch.changes import HealthWatch
from harness.watch.diff import cause_changes, verdict_change
from harness.watch.polling import polling
from tests.conftest import HarnessRun
from tests.live_processes import (
    ROOT,
    STACK_SECRETS,
    StackProcess,
    WatchProcess,
    clean_env,
    free_port,
)
from tests.test_contract_keys import contract_file
from tests.test_cookie_auth import COOKIE_CONTRACT

# a declared budget on the health route that lets watch poll every second (a tenth of it)
FAST_POLLING = {"rate_limits": [{"prefix": "/api/health", "limit": 600, "window_s": 60}]}


def _announced_interval(watch: WatchProcess) -> float:
    match = watch.wait_for(r"polling /api/health every ([\d.]+) s: ([\d.]+) requests per 1 min, "
                           r"a tenth of the budget")
    return float(match.group(1))


def test_watch_sees_restarts_of_a_stack_in_another_process(tmp_path: Path) -> None:
    """Restart with a fault switched on, then off: each restart is seen by /api/health's
    startedAt, verified, and told as causes new and fixed; later runs reuse the tokens (no
    login); the stacks received no request watch did not count."""
    contract = contract_file(tmp_path, FAST_POLLING)
    history = tmp_path / "history.sqlite"
    port = free_port()
    stack = StackProcess(port)
    watch = WatchProcess(stack.url, "--contract", contract, "--history", str(history))
    received = []
    started = time.monotonic()
    try:
        assert _announced_interval(watch) == 1.0
        watch.wait_for(r"restarts are told by /api/health's startedAt")
        first = watch.wait_for(r"run 1: PASS in [\d.]+ s, (\d+) requests")
        received.append(stack.stop())
        stack = StackProcess(port, "notifications-unavailable")
        watch.wait_for(r"change: /api/health startedAt changed \(.* -> .*\): restarted")
        second = watch.wait_for(r"run 2: FAIL in [\d.]+ s, (\d+) requests")
        watch.wait_for(r"^  generic-503-leak new$")
        received.append(stack.stop())
        stack = StackProcess(port)
        watch.wait_for(r"run 3: PASS in [\d.]+ s, \d+ requests \(\+\d+ polls since run 2\)")
        watch.wait_for(r"^  generic-503-leak fixed$")
    finally:
        code = watch.interrupt()
        received.append(stack.stop())
    elapsed = time.monotonic() - started
    assert code == 0, "Ctrl-C ends it with the last verdict's exit code"
    runs, run_requests, polls, poll_requests = watch.summary()
    assert runs == 3
    assert sum(received) <= run_requests + poll_requests, (received, watch.lines)
    assert polls <= elapsed / 1.0 + 2, "at most one poll per announced interval"
    assert int(second.group(1)) < int(first.group(1)), "run 2 logs in no one: tokens kept"
    assert not any("Traceback" in line for line in watch.lines)
    assert not any(secret in line for line in watch.lines for secret in STACK_SECRETS.values())
    listed = HistoryStore(history).runs()
    assert [run.verdict for run in listed] == ["pass", "fail", "pass"]
    with sqlite3.connect(history) as db:
        polled = db.execute("SELECT SUM(count) FROM sent WHERE path = '/api/health' "
                            "AND run_id IS NULL").fetchone()[0]
    assert polled == polls, "the polls are in the request ledger"


def _shared_settings() -> ReferenceSettings:
    """An in-process stack's settings with the logins watch processes are given."""
    return replace(ReferenceSettings.from_env(), jwt_secret=STACK_SECRETS[
        "REFERENCE_JWT_SECRET"], password=STACK_SECRETS["REFERENCE_PASSWORD"],
        peer_password=STACK_SECRETS["REFERENCE_PEER_PASSWORD"],
        outsider_password=STACK_SECRETS["REFERENCE_OUTSIDER_PASSWORD"])


@contextmanager
def ngrok_agent(tunnel: dict[str, object]) -> Iterator[str]:
    """A local ngrok agent API whose one tunnel is `tunnel` (changed in place by the test)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            payload = json.dumps({"tunnels": [tunnel]}).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def test_a_new_tunnel_url_is_the_same_target_verified_again(tmp_path: Path) -> None:
    """The agent reports a new public URL for tunnel `api`: watch sees it without a request to
    the target, runs against the new URL, and compares with the run of the old one."""
    contract = contract_file(tmp_path, FAST_POLLING)
    history = tmp_path / "history.sqlite"
    settings = _shared_settings()
    with ReferenceStack(settings=settings) as old, ReferenceStack(settings=settings) as new:
        tunnel: dict[str, object] = {"name": "api", "public_url": old.url,
                                     "config": {"addr": old.url}}
        with ngrok_agent(tunnel) as agent:
            watch = WatchProcess("ngrok", "--ngrok-api", agent, "--contract", contract,
                                 "--history", str(history))
            try:
                watch.wait_for(rf"watch: {re.escape(old.url)} \(in the history as ngrok:api\)")
                watch.wait_for(r"run 1: PASS")
                tunnel.update(public_url=new.url, config={"addr": new.url})
                watch.wait_for(rf"change: the ngrok agent's public URL: {re.escape(old.url)} -> "
                               rf"{re.escape(new.url)}")
                watch.wait_for(r"run 2: PASS")
                time.sleep(2.5)  # two more polls of the new URL: no restart there
            finally:
                code = watch.interrupt()
        runs, run_requests, polls, poll_requests = watch.summary()
        assert code == 0 and runs == 2, watch.lines
        assert not any(line.endswith(" new") for line in watch.lines), "the same target"
        assert old.requests_received + new.requests_received <= run_requests + poll_requests
        assert new.requests_received > 0
    targets = {run.target.split(" ")[0] for run in HistoryStore(history).runs("ngrok:api")}
    assert targets == {old.url, new.url}


def watch_once(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness", "watch", *args], capture_output=True,
                          text=True, timeout=60, env=clean_env(), cwd=ROOT)


def test_bad_input_is_one_line_and_exit_2(closed_port: Callable[[], int]) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    for args, said in (([url, "--every", "soon"], "not a duration"),
                       ([url, "--every", "0s"], "longer than 0"),
                       ([], "watch needs a target"),
                       ([url, "--fault", "slow-health"], "--fault"),
                       ([url, "--target-name", " "], "empty"),
                       (["ngrok", "--ngrok-api", url], "no ngrok agent answers"),
                       ([url, "--evry", "5m"], "unrecognized")):
        run = watch_once(*args)
        assert run.returncode == 2, (args, run.stdout, run.stderr)
        assert said in run.stderr and "Traceback" not in run.stderr + run.stdout
        assert len(run.stderr.strip().splitlines()) == 1, run.stderr


def test_the_interval_is_a_tenth_of_the_tightest_budget() -> None:
    assert polling("/api/health", []).announce().startswith(
        "polling /api/health every 90 s: 10 requests per 15 min, a tenth of the budget")


def test_an_uptime_that_went_back_is_a_restart(reference_stack: Callable[..., ReferenceStack],
                                               ) -> None:
    """The health answers of a live stack: the same startedAt is no change."""
    import asyncio

    from harness.probes.http import HttpProbeClient
    from harness.records.http import HttpRequest

    stack = reference_stack()
    request = HttpRequest("health", "GET", "/api/health", "health")

    async def ask() -> object:
        client = HttpProbeClient(stack.url, timeout_s=5)
        try:
            return await client.send(request)
        finally:
            await client.close()

    watch = HealthWatch("/api/health", ["uptime", "startedAt"])
    assert watch.see(asyncio.run(ask())).change is None  # type: ignore[arg-type]
    assert watch.field == "startedAt"
    assert watch.see(asyncio.run(ask())).change is None  # type: ignore[arg-type]
    from harness.watch.changes import restarted

    assert restarted("uptime", 120.5, 3.2) and not restarted("uptime", 3.2, 95.0)
    assert restarted("bootId", "a", "b") and not restarted("pid", 7, 7)


def test_causes_new_fixed_and_still_failing() -> None:
    before = {"checks": [{"id": "a", "outcome": "failed", "cause": "x"},
                         {"id": "b", "outcome": "failed", "cause": "y"},
                         {"id": "c", "outcome": "failed", "cause": "w"}], "root_causes": []}
    now = {"checks": [{"id": "a", "outcome": "passed", "cause": None},
                      {"id": "b", "outcome": "failed", "cause": "y"},
                      {"id": "d", "outcome": "failed", "cause": "z"}], "root_causes": []}
    assert cause_changes(before, now) == ["z new", "w not verified (1 of its checks did not run)",
                                          "x fixed", "y still failing"]


def test_target_name_makes_two_urls_one_target(tmp_path: Path,
                                               run_harness: Callable[..., HarnessRun],
                                               reference_stack: Callable[..., ReferenceStack],
                                               ) -> None:
    """--target-name: a run against another URL of the same target finds the last one."""
    history, name = str(tmp_path / "history.sqlite"), "staging"
    ran = [run_harness(stack.url, "--target-name", name, "--history", history,
                       "--baseline", "last", "--suite", "health")
           for stack in (reference_stack(), reference_stack())]
    assert all(run.code == 0 for run in ran), ran[0].output
    assert ran[0].report is not None and "baseline" not in ran[0].report
    assert ran[1].report is not None and ran[1].report["baseline"]["previous_verdict"] == "pass"
    assert len(HistoryStore(history).runs(name)) == 2


@pytest.mark.docker
def test_a_restarted_compose_service_is_a_change(tmp_path: Path) -> None:
    """A running compose project (not started by watch) whose service restarts."""
    from tests.test_hermetic import require_compose

    require_compose()
    compose = tmp_path / "compose.yaml"
    compose.write_text("services:\n  idle:\n    image: smoke-reference:latest\n"
                       "    entrypoint: [python, -c, 'import time; time.sleep(600)']\n"
                       "    stop_grace_period: 0s\n")
    project = ["docker", "compose", "-p", f"smoke-watch-{uuid.uuid4().hex[:8]}", "-f",
               str(compose)]
    contract = contract_file(tmp_path, FAST_POLLING)
    subprocess.run([*project, "up", "-d"], check=True, capture_output=True, timeout=120)
    try:
        with ReferenceStack(settings=_shared_settings()) as stack:
            watch = WatchProcess(stack.url, "--contract", contract, "--compose-file",
                                 str(compose), "--history", str(tmp_path / "h.sqlite"))
            try:
                watch.wait_for(r"run 1: PASS")
                subprocess.run([*project, "restart", "-t", "0"], check=True,
                               capture_output=True, timeout=120)
                watch.wait_for(r"change: compose project of .*: idle restarted", timeout=60)
                watch.wait_for(r"run 2: PASS")
            finally:
                assert watch.interrupt() == 0
    finally:
        subprocess.run([*project, "down", "-t", "0"], capture_output=True, timeout=120)


def test_a_service_log_start_line_and_every(tmp_path: Path) -> None:
    """A new start line in a --service-log file is a change; --every adds timed runs."""
    contract = contract_file(tmp_path, FAST_POLLING)
    log = tmp_path / "messaging.log"
    log.write_text("Messaging Service running on port 5005\n")
    with ReferenceStack(settings=_shared_settings()) as stack:
        watch = WatchProcess(stack.url, "--contract", contract, "--service-log",
                             f"messaging={log}", "--every", "4s",
                             "--history", str(tmp_path / "h.sqlite"))
        try:
            watch.wait_for(r"and a run every 4 s \(--every\)")
            watch.wait_for(r"run 1: ")
            with log.open("a") as out:
                out.write("Messaging Service running on port 5005\n")
            watch.wait_for(r"change: .*messaging.log: a new start line: Messaging Service "
                           r"running on port 5005")
            watch.wait_for(r"run 2: ")
            watch.wait_for(r"change: --every 4 s")
            watch.wait_for(r"run 3: ")
        finally:
            watch.interrupt()
    history = b"".join(path.read_bytes() for path in tmp_path.glob("h.sqlite*"))
    assert not any(secret.encode() in history for secret in STACK_SECRETS.values())


def test_kept_tokens_keep_the_id_their_login_answered(tmp_path: Path) -> None:
    """auth.user_id `login:user.id` (a cookie login whose body names the user): runs after the
    first reuse the kept tokens, with no login answer to read, and still know every id."""
    contract = contract_file(tmp_path, {"auth": {"user_id": "login:user.id"}},
                             base=COOKIE_CONTRACT)
    stack = StackProcess(free_port(), "cookie-auth")
    watch = WatchProcess(stack.url, "--contract", contract, "--history",
                         str(tmp_path / "history.sqlite"), "--every", "1s")
    try:
        first = watch.wait_for(r"run 1: PASS in [\d.]+ s, (\d+) requests")
        second = watch.wait_for(r"run 2: (\w+) in [\d.]+ s, (\d+) requests.*")
    finally:
        watch.interrupt()
        stack.stop()
    assert second.group(1) == "PASS", watch.lines
    assert second.group(0).endswith("nothing changed since the previous run")
    assert int(second.group(2)) < int(first.group(1)), "run 2 logs in no one: tokens kept"
    assert not any("is not known" in line for line in watch.lines)


def test_a_verdict_that_changed_is_a_change() -> None:
    passed = {"verdict": "pass", "checks": [], "root_causes": []}
    unsure = {"verdict": "inconclusive", "checks": [{"id": "delivery", "outcome": "not-tested"}],
              "root_causes": []}
    assert verdict_change(passed, unsure) == ["verdict PASS -> INCONCLUSIVE"]
    assert verdict_change(unsure, unsure) == []
    assert verdict_change(None, unsure) == []

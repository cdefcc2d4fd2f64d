"""A target's rate limit, read and respected: a retry time given only in a 429's JSON body,
and a budget the run must never overspend. Real HTTP servers on loopback."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.conftest import HarnessRun

LOGIN_ENV = {"SMOKE_USERNAME": "smoke", "SMOKE_PASSWORD": "smoke-password"}


@contextmanager
def limited(allowance: int, body_429: dict[str, Any],
            login_limit: int | None = None) -> Iterator[tuple[str, list[int]]]:
    """A gateway that allows `allowance` requests (announced with RateLimit-* headers), then
    answers 429 with `body_429` and no Retry-After; yields its URL and the statuses it sent.
    With `login_limit`, the login also has a limiter of its own whose headers its answers
    carry instead (express-rate-limit twice: the global one still counts the login)."""
    sent: list[int] = []
    seen: list[str] = []
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            self.rfile.read(length)
            with lock:
                left = allowance - len(sent) - 1
                status = 200 if left >= 0 else 429
                sent.append(status)
                seen.append(self.path)
            body = {"status": "ok", "token": "x"} if status == 200 else body_429
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            own = login_limit is not None and self.path.endswith("/login")
            logins = sum(1 for path in seen if path.endswith("/login"))
            self.send_header("ratelimit-limit", str(login_limit if own else 100))
            self.send_header("ratelimit-remaining",
                             str(login_limit - logins if own else max(left, 0)))
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = _answer

        def log_message(self, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", sent
    finally:
        server.shutdown()


def test_a_retry_time_only_in_the_body_is_read(run_harness: Callable[..., HarnessRun]) -> None:
    for body in ({"retryAfter": 900}, {"error": {"retry_after": "900"}}):
        with limited(0, {"error": "Too many requests", **body}) as (url, sent):
            run = run_harness(url)
        assert run.code == 2 and run.report is not None, run.output
        assert "Retry-After: 900 s (in the body)" in run.stdout, run.stdout
        assert "not given" not in run.stdout


def test_a_budget_of_one_is_never_overspent(run_harness: Callable[..., HarnessRun]) -> None:
    """Health uses one of two; the login the last; nothing else goes, and no 429 comes back."""
    with limited(2, {"error": "Too many requests"}) as (url, sent):
        run = run_harness(url, env=LOGIN_ENV)
    assert sent == [200, 200], sent
    assert run.code == 2 and run.report is not None, run.output
    assert run.report["verdict"] == "inconclusive"
    assert run.report["requests_sent"] == 2
    assert any("rate limit" in item["reason"] for item in run.report["not_tested"])


def test_a_spent_budget_sends_no_login(run_harness: Callable[..., HarnessRun]) -> None:
    with limited(1, {"error": "Too many requests"}) as (url, sent):
        run = run_harness(url, env=LOGIN_ENV)
    assert sent == [200], sent
    assert run.code == 2, run.output


def test_a_login_of_another_policy_still_counts_against_the_run(
        run_harness: Callable[..., HarnessRun]) -> None:
    """Three left after health, three logins wanted (the run's, a peer's, an outsider's) on a
    login with a limiter of its own: the run says what it sends and sends it, and the budget
    it reports left is what the target has left."""
    with limited(3, {"error": "Too many requests"}, login_limit=20) as (url, sent):
        run = run_harness(url, env={**LOGIN_ENV, "SMOKE_PEER_USERNAME": "peer",
                                    "SMOKE_PEER_PASSWORD": "peer-password",
                                    "SMOKE_OUTSIDER_USERNAME": "outsider",
                                    "SMOKE_OUTSIDER_PASSWORD": "outsider-password"})
    assert 429 not in sent, sent
    assert run.report is not None, run.output
    assert run.report["requests_sent"] == len(sent)
    announced = re.search(r"in (\d+) more requests? \((\d+) already sent\)", run.output)
    assert announced, run.output
    assert int(announced.group(1)) + int(announced.group(2)) == len(sent)
    assert run.report["rate_limit"]["remaining_after"] == 3 - len(sent)
    assert f"rate limit: 2 -> {3 - len(sent)} of 100 left" in run.stdout

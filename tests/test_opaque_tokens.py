"""A login's token may be opaque (a session id, not a JWT): once the run has it, it is masked
everywhere like a configured secret, even when a server echoes it back."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterator

import pytest

from tests.conftest import HarnessRun
from tests.json_server import JsonHandler, serving

TOKEN = f"opaque-session-{secrets.token_hex(16)}"


class Echo(JsonHandler):
    """Login answers an opaque token; every other route echoes the bare token it was sent."""

    def _answer(self) -> None:
        self.body()
        if self.path == "/api/auth/login":
            self.send_json(200, {"token": TOKEN})
            return
        seen = (self.headers.get("authorization") or "").partition(" ")[2]
        self.send_json(500, {"error": "echo", "seen": seen})

    do_GET = do_POST = _answer


@pytest.fixture
def echo_server() -> Iterator[str]:
    with serving(Echo) as url:
        yield url


def test_an_opaque_login_token_never_reaches_the_output(
        run_harness: Callable[..., HarnessRun], echo_server: str) -> None:
    run = run_harness(echo_server, "--suite", "rest", env={
        "SMOKE_USERNAME": "me", "SMOKE_PASSWORD": "a-password-1"})
    assert run.report is not None and run.code == 1, run.output
    assert "echo" in json.dumps(run.report), "the echoing answers were read"
    assert TOKEN not in run.output and TOKEN not in json.dumps(run.report)

"""A login's token may be opaque (a session id, not a JWT): once the run has it, it is masked
everywhere like a configured secret, even when a server echoes it back."""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.conftest import HarnessRun

TOKEN = f"opaque-session-{secrets.token_hex(16)}"


class Echo(BaseHTTPRequestHandler):
    """Login answers an opaque token; every other route echoes the request's headers."""

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        self.rfile.read(length)
        if self.path == "/api/auth/login":
            status, body = 200, {"token": TOKEN}
        else:
            seen = (self.headers.get("authorization") or "").partition(" ")[2]
            status, body = 500, {"error": "echo", "seen": seen}
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def echo_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_an_opaque_login_token_never_reaches_the_output(
        run_harness: Callable[..., HarnessRun], echo_server: str) -> None:
    run = run_harness(echo_server, "--suite", "rest", env={
        "SMOKE_USERNAME": "me", "SMOKE_PASSWORD": "a-password-1"})
    assert run.report is not None and run.code == 1, run.output
    assert "echo" in json.dumps(run.report), "the echoing answers were read"
    assert TOKEN not in run.output and TOKEN not in json.dumps(run.report)

"""A login that answers 400 about its body's fields is a contract finding naming the field,
not rejected credentials; the run is inconclusive (exit 2). A 400 about the credentials
themselves stays credentials-rejected."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.conftest import HarnessRun


def serve(message: str) -> ThreadingHTTPServer:
    class Login(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length") or 0))
            self._send(400, {"message": message})

        def do_GET(self) -> None:
            self._send(200, {"status": "ok"})

        def _send(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Login)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def login_says() -> Iterator[Callable[[str], str]]:
    servers: list[ThreadingHTTPServer] = []

    def start(message: str) -> str:
        servers.append(serve(message))
        return f"http://127.0.0.1:{servers[-1].server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()


CREDENTIALS = {"SMOKE_USERNAME": "me", "SMOKE_PASSWORD": "pw-12345"}


def test_a_400_about_the_body_names_the_field(run_harness: Callable[..., HarnessRun],
                                              login_says: Callable[[str], str]) -> None:
    run = run_harness(login_says("email and password are required"), env=CREDENTIALS)
    assert run.code == 2, run.output
    assert run.root_cause == "contract-mismatch", run.output
    assert "'email'" in run.output and "auth.login.username_field" in run.output
    assert "check SMOKE_USERNAME" not in run.output


def test_a_400_about_the_credentials_is_still_rejected_credentials(
        run_harness: Callable[..., HarnessRun], login_says: Callable[[str], str]) -> None:
    run = run_harness(login_says("Invalid credentials"), env=CREDENTIALS)
    assert run.code == 2 and run.root_cause == "credentials-rejected", run.output

"""Targets that misbehave at the transport level: one clear line, the right exit code, no hang."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

TIMEOUT = "1"
OPEN_PACKET = ('0{"sid":"s1","upgrades":["websocket"],"pingInterval":25000,'
               '"pingTimeout":20000,"maxPayload":1000000}')


def _silent(conn: socket.socket) -> None:
    conn.recv(65536)  # read the request, answer nothing; closed at teardown


def _garbage(conn: socket.socket) -> None:
    conn.recv(65536)
    conn.sendall(b"\x16\x03\x01 this is not HTTP at all\r\n\r\n")
    conn.close()


def _hang_up(conn: socket.socket) -> None:
    conn.close()


@pytest.fixture
def raw_server() -> Iterator[Callable[[Callable[[socket.socket], None]], str]]:
    """A TCP server whose every connection is handled by `behaviour`; returns its URL."""
    listeners: list[socket.socket] = []
    held: list[socket.socket] = []
    stop = threading.Event()

    def start(behaviour: Callable[[socket.socket], None]) -> str:
        listener = socket.create_server(("127.0.0.1", 0))
        listener.settimeout(0.1)
        listeners.append(listener)

        def accept() -> None:
            while not stop.is_set():
                try:
                    conn = listener.accept()[0]
                except TimeoutError:
                    continue
                held.append(conn)
                threading.Thread(target=behaviour, args=(conn,), daemon=True).start()

        threading.Thread(target=accept, daemon=True).start()
        return f"http://127.0.0.1:{listener.getsockname()[1]}"

    yield start
    stop.set()
    for sock in [*held, *listeners]:
        sock.close()


@pytest.mark.parametrize(("behaviour", "reason"), [
    (_silent, "no answer within 1 s"),
    (_garbage, "the answer is not HTTP"),
    (_hang_up, "unreachable"),
], ids=["never-answers", "answers-garbage", "hangs-up"])
def test_transport_failures_exit_2_with_one_clear_line(run_harness, raw_server, behaviour,
                                                       reason: str) -> None:
    run = run_harness(raw_server(behaviour), "--timeout", TIMEOUT, timeout=30)
    assert run.code == 2, run.output
    first = run.stderr.splitlines()[0]
    assert "[target-unreachable]" in first and reason in first
    assert "Traceback" not in run.output
    assert run.seconds < 15
    assert run.report["verdict"] == "error"


class _Handler(BaseHTTPRequestHandler):
    """Answers every route with a page; the Socket.IO path opens, but upgrades are cut off."""

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        if "transport=websocket" in self.path:
            self.close_connection = True  # hang up mid-handshake: no 101, no answer
            return
        if self.path.startswith("/socket.io/"):
            self._send(200, "text/plain; charset=UTF-8", OPEN_PACKET)
            return
        self._send(200, "text/html", "<!doctype html><html><title>App</title>Welcome</html>")

    do_POST = do_GET  # noqa: N815 - the http.server API

    def _send(self, status: int, kind: str, body: str) -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("content-type", kind)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def html_app() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_html_app_instead_of_an_api_is_a_named_failure(run_harness, html_app: str) -> None:
    run = run_harness(html_app, "--timeout", TIMEOUT, "--suite", "rest", "--suite", "health",
                      timeout=60)
    assert run.code == 1, run.output
    assert "Traceback" not in run.output
    assert None not in run.causes
    assert "auth-not-enforced" not in run.causes  # an HTML page is not an accepted request
    assert "an HTML page" in run.stdout


def test_websocket_closed_mid_handshake_is_upgrade_broken(run_harness, html_app: str) -> None:
    run = run_harness(html_app, "--timeout", TIMEOUT, "--suite", "socket", timeout=60)
    assert run.code == 1, run.output
    failed = run.failed
    assert failed["suites/socket/test_upgrade.py::test_upgrade_from_polling"] == (
        "websocket-upgrade-broken")
    assert "suites/socket/test_handshake.py::test_polling_handshake" not in failed

"""The socket suite: each fault is caught and named, a healthy stack passes, nothing hangs."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from harness.config import resolve
from harness.runtime import SmokeRuntime
from harness.socket_probe import SocketProber
from tests.conftest import HarnessRun

SOCKET_FAULTS = [
    ("dual-upgrade", "websocket-upgrade-broken"),
    ("proxy-target-missing", "proxy-target-missing"),
    ("socketio-auth-not-enforced", "socketio-auth-not-enforced"),
    ("cors-reject", "socketio-cors-blocked"),
    ("no-message-event", "realtime-event-missing"),
]
SILENT_TIMEOUT_S = 1.0


def _outcomes(run: HarnessRun) -> dict[str, str]:
    assert run.report is not None, run.output
    return {check["id"].split("::")[-1]: check["outcome"] for check in run.report["checks"]}


@pytest.mark.parametrize(("fault", "cause"), SOCKET_FAULTS, ids=[f for f, _ in SOCKET_FAULTS])
def test_fault_is_caught_and_named(run_harness, fault: str, cause: str) -> None:
    run = run_harness("--fault", fault, "--suite", "socket")
    assert run.code == 1, run.output
    assert cause in run.causes, run.failed
    if fault == "dual-upgrade":
        outcomes = _outcomes(run)
        assert outcomes["test_polling_handshake"] == "passed"
        assert outcomes["test_connect_with_token[polling]"] == "passed"
        assert run.causes == {"websocket-upgrade-broken"}, run.failed


def test_healthy_stack_passes_every_socket_check_on_both_transports(run_harness) -> None:
    run = run_harness("--suite", "socket")
    assert run.code == 0, run.output
    outcomes = _outcomes(run)
    assert set(outcomes.values()) == {"passed"}, outcomes
    assert {"test_connect_with_token[websocket]", "test_connect_with_token[polling]",
            "test_connect_refused[no-token]", "test_connect_refused[forged-token]",
            "test_upgrade_from_polling", "test_websocket_only_session",
            "test_handshake_allows_origin", "test_message_round_trip"} <= outcomes.keys()


@pytest.fixture
def silent_server() -> Iterator[str]:
    """Accepts TCP connections and never sends a byte."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join(2)
    for conn in held:
        conn.close()
    listener.close()


def test_silent_server_fails_every_socket_check_within_its_timeout(silent_server: str) -> None:
    config = resolve({"target_url": silent_server, "timeout": SILENT_TIMEOUT_S,
                      "origin": "http://localhost:3000"}, env={})
    runtime = SmokeRuntime(config)
    try:
        prober = SocketProber(runtime.config, runtime.prober)
        started = time.perf_counter()
        survey = runtime.loop.run(prober.survey("not-a-real-token", config.origin), timeout=30)
        took = time.perf_counter() - started
        rules = runtime.diagnoser
        findings = [
            rules.handshake(survey.polling),
            rules.upgrade(survey.polling, survey.upgrade),
            rules.websocket_session(survey.polling, survey.websocket_only),
            rules.cors(survey.cors, survey.polling, "http://localhost:3000"),
            *(rules.socket_connect(survey.clients[t], survey) for t in ("websocket", "polling")),
            *(rules.socket_rejection(survey.clients[v], survey)
              for v in ("no-token", "forged-token")),
        ]
    finally:
        runtime.close()
    assert took < SILENT_TIMEOUT_S * 4 + 2, f"the probes took {took:.1f} s"
    assert [f.cause if f else None for f in findings] == ["no-response"] * len(findings)
    assert not survey.websocket_only.ok and survey.websocket_only.seen.startswith("timeout")
    assert all(not attempt.connected for attempt in survey.clients.values())

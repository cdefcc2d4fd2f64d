"""Socket.IO rules over recorded evidence: Node socket.io 4.8 and python-engineio handshakes,
refusals and CORS answers, and sessions the harness's own probe recorded against real servers."""

from __future__ import annotations

import pytest

from fixtures import evidence
from harness.config import resolve
from harness.judge.causes import Cause
from harness.judge.context import Context
from harness.judge.rules import socket
from harness.records.session import ConnectAttempt
from harness.sanitize.redact import Redactor

ORIGIN = "http://localhost:3000"


@pytest.fixture(scope="module")
def ctx() -> Context:
    return Context(resolve({"target_url": "http://gw.test"}, env={}), Redactor())


def cause_of(found) -> Cause | None:  # noqa: ANN001
    return found.cause if found else None


HANDSHAKE = [
    ("node-socketio-handshake", None),
    ("node-socketio-handshake-origin-allowed", None),
    ("hpm3-socketio-handshake-proxied", None),
    ("python-engineio-handshake", None),
    ("node-socketio-cors-refused", None),          # the open packet itself is fine
    ("node-socketio-eio3", Cause.SOCKETIO_HANDSHAKE_FAILED),
    ("node-socketio-transport-unknown", Cause.SOCKETIO_HANDSHAKE_FAILED),
    ("node-socketio-sid-unknown", Cause.SOCKETIO_HANDSHAKE_FAILED),
    ("node-socketio-allowrequest-403", Cause.SOCKETIO_HANDSHAKE_FAILED),
    ("python-engineio-eio3", Cause.SOCKETIO_HANDSHAKE_FAILED),
    ("python-engineio-sid-unknown", Cause.SOCKETIO_HANDSHAKE_FAILED),
    ("python-engineio-bad-origin", Cause.SOCKETIO_HANDSHAKE_FAILED),
    ("reference-proxy-target-missing", Cause.PROXY_TARGET_MISSING),
    ("hpm3-504-socketio-dead-target", Cause.UPSTREAM_UNREACHABLE),
    ("ngrok-3200-on-socketio", Cause.NGROK_TUNNEL_OFFLINE),
    ("ngrok-6024-browser-warning", Cause.NGROK_BROWSER_WARNING),
    ("express5-404-html", Cause.ROUTE_NOT_FOUND),
    ("express-rate-limit-429-draft6", Cause.RATE_LIMITED),
    ("express5-redirect-302", Cause.REDIRECT),
    ("reference-health", Cause.SOCKETIO_HANDSHAKE_FAILED),     # 200 JSON, no open packet
    ("express5-throw-html-stack", Cause.STACK_TRACE_LEAK),
]


@pytest.mark.parametrize(("name", "cause"), HANDSHAKE, ids=[row[0] for row in HANDSHAKE])
def test_handshake(ctx: Context, name: str, cause: Cause | None) -> None:
    found = socket.handshake(ctx, evidence.answer(name))
    assert cause_of(found) is cause, found and found.render()


@pytest.mark.parametrize(("name", "said"), [
    ("node-socketio-eio3", "Engine.IO error 5: Unsupported protocol version"),
    ("node-socketio-sid-unknown", "Engine.IO error 1: Session ID unknown"),
    ("node-socketio-allowrequest-403", "Engine.IO error 4: Forbidden"),
    ("python-engineio-eio3", "unsupported version of the Socket.IO or Engine.IO protocols"),
    ("python-engineio-sid-unknown", "Invalid session"),
])
def test_handshake_refusals_say_what_the_server_said(ctx: Context, name: str,
                                                     said: str) -> None:
    assert said in socket.handshake(ctx, evidence.answer(name)).message


CORS = [
    ("node-socketio-handshake-origin-allowed", None),
    ("node-socketio-cors-refused", Cause.SOCKETIO_CORS_BLOCKED),    # 200 without the header
    ("node-socketio-allowrequest-403", Cause.SOCKETIO_CORS_BLOCKED),
    ("python-engineio-bad-origin", Cause.SOCKETIO_CORS_BLOCKED),     # 400, a JSON string
    ("reference-proxy-target-missing", Cause.PROXY_TARGET_MISSING),
    ("hpm3-504-socketio-dead-target", Cause.UPSTREAM_UNREACHABLE),
    ("ngrok-3200-on-socketio", Cause.NGROK_TUNNEL_OFFLINE),
    ("ngrok-6024-browser-warning", Cause.NGROK_BROWSER_WARNING),     # not a CORS problem
    ("express5-404-html", Cause.ROUTE_NOT_FOUND),
    ("reference-health", Cause.SOCKETIO_HANDSHAKE_FAILED),
]


@pytest.mark.parametrize(("name", "cause"), CORS, ids=[row[0] for row in CORS])
def test_cors(ctx: Context, name: str, cause: Cause | None) -> None:
    found = socket.cors(ctx, evidence.answer(name), ORIGIN)
    assert cause_of(found) is cause, found and found.render()


def test_python_engineio_origin_refusal_is_quoted(ctx: Context) -> None:
    found = socket.cors(ctx, evidence.answer("python-engineio-bad-origin"), ORIGIN)
    assert "is not an accepted origin" in found.message


SESSIONS = {
    # session -> (upgrade, refusal per variant, connect with the valid token, realtime)
    "node-socketio-websocket": (None, None, None, None),
    "python-socketio-websocket": (None, None, None, None),
    "python-socketio-dual-upgrade-websocket": (Cause.WEBSOCKET_UPGRADE_BROKEN, ..., ..., ...),
    "python-socketio-auth-not-enforced-websocket": (
        None, Cause.SOCKETIO_AUTH_NOT_ENFORCED, None, None),
    "python-socketio-secret-mismatch-websocket": (None, None, Cause.CREDENTIALS_REJECTED, ...),
    "python-socketio-no-message-event-websocket": (None, None, None,
                                                   Cause.REALTIME_EVENT_MISSING),
    "python-socketio-join-confirm-event-websocket": (None, None, None,
                                                     Cause.CONTRACT_MISMATCH),
}


@pytest.mark.parametrize("name", sorted(SESSIONS))
def test_session(ctx: Context, name: str) -> None:
    upgrade, refused, connected, realtime = SESSIONS[name]
    session = evidence.session(name)
    assert cause_of(socket.upgrade(ctx, session)) is upgrade
    if refused is not ...:
        for variant in ("no-token", "forged-token"):
            found = socket.refusal(ctx, session.connects[variant], session.transport)
            assert cause_of(found) is refused, (variant, found and found.render())
    if connected is not ...:
        found = socket.connect(ctx, session.connects["valid-token"], session.transport)
        assert cause_of(found) is connected, found and found.render()
    if realtime is not ...:
        assert cause_of(socket.realtime(ctx, session)) is realtime


def test_broken_upgrade_falls_back_to_a_working_polling_session(ctx: Context) -> None:
    fallback = evidence.session("python-socketio-dual-upgrade-websocket", fallback=True)
    assert fallback.transport == "polling" and socket.upgrade(ctx, fallback) is None
    for variant in ("no-token", "forged-token"):
        assert socket.refusal(ctx, fallback.connects[variant], "polling") is None
    assert socket.connect(ctx, fallback.connects["valid-token"], "polling") is None


def test_secret_mismatch_quotes_the_servers_refusal(ctx: Context) -> None:
    session = evidence.session("python-socketio-secret-mismatch-websocket")
    found = socket.connect(ctx, session.connects["valid-token"], session.transport)
    assert "invalid signature" in found.message
    assert "valid-token over websocket -> connect_error" in found.evidence


def test_join_confirmed_by_an_event_hints_at_join_confirm(ctx: Context) -> None:
    found = socket.realtime(ctx, evidence.session("python-socketio-join-confirm-event-websocket"))
    assert "socketio.join_confirm: event:<name>" in found.message


def test_a_connect_with_no_answer_is_no_response(ctx: Context) -> None:
    attempt = ConnectAttempt("no-token", error="no CONNECT answer within 5 s", elapsed_s=5.0)
    assert cause_of(socket.refusal(ctx, attempt, "websocket")) is Cause.NO_RESPONSE
    assert cause_of(socket.connect(ctx, attempt, "websocket")) is Cause.NO_RESPONSE


def test_upgrade_answered_by_a_rate_limit_is_rate_limited(ctx: Context) -> None:
    session = evidence.session("python-socketio-dual-upgrade-websocket")
    limited = evidence.answer("express-rate-limit-429-draft6")
    session.upgrade_http = limited
    assert cause_of(socket.upgrade(ctx, session)) is Cause.RATE_LIMITED

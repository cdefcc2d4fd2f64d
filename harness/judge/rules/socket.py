"""Socket.IO rules, layer by layer: handshake, CORS, upgrade, refusals, connect, realtime."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from harness.judge.causes import Cause
from harness.judge.context import Context
from harness.judge.findings import Finding
from harness.judge.judge import NOT_SENT, Judge
from harness.judge.kinds import Blocked, Result, rule
from harness.judge.rules.leaks import leak, looks_like_proxy_error, unexpected
from harness.records.engineio import HandshakeError, decode_error, parse_open_packet
from harness.records.http import HttpAnswer
from harness.records.keys import HANDSHAKE, SESSION
from harness.records.outcome import NotTested
from harness.records.plan import Check, check_key
from harness.records.session import ConnectAttempt, SessionResult
from harness.sanitize.escape import safe_excerpt


def handshake(ctx: Context, answer: HttpAnswer) -> Finding | None:
    """The Engine.IO polling handshake answers a valid v4 open packet."""
    if answer.status != 200 or answer.error:
        decoded = server_error(answer) if answer.status in (400, 403) else None
        if decoded:
            hint = ("; if the server takes websockets only (transports: ['websocket']), set "
                    "socketio.transports: [websocket]") if "transport" in decoded.lower() else ""
            return ctx.finding(Cause.SOCKETIO_HANDSHAKE_FAILED, f"the polling handshake was "
                               f"refused: {decoded}{hint}", answer)
        if answer.status is not None and 400 <= answer.status < 500 and \
                answer.status not in (404, 429) and not looks_like_proxy_error(ctx, answer):
            return ctx.finding(Cause.SOCKETIO_HANDSHAKE_FAILED, "the polling handshake "
                               f"answered {answer.status}", answer)
        return unexpected(ctx, answer, "a 200 Engine.IO open packet")
    try:
        parse_open_packet(answer.text)
    except HandshakeError as exc:
        return leak(ctx, answer, "a 200 Engine.IO open packet") or ctx.finding(
            Cause.SOCKETIO_HANDSHAKE_FAILED, str(exc), answer)
    return None


def cors(ctx: Context, answer: HttpAnswer, origin: str) -> Finding | None:
    """The handshake with `Origin` is answered and allows that origin."""
    allowed = answer.headers.get("access-control-allow-origin")
    if answer.status == 200 and not answer.error and not answer.text.startswith("0"):
        # no open packet at all (an ngrok page, an SPA index): not the Socket.IO server
        return handshake(ctx, answer) or unexpected(ctx, answer, "a 200 open packet")
    if answer.status == 200 and allowed in (origin, "*"):
        return None
    if answer.status == 200:
        header = f"with Access-Control-Allow-Origin {allowed!r}" if allowed else \
            "without Access-Control-Allow-Origin"
        return ctx.finding(Cause.SOCKETIO_CORS_BLOCKED, f"the handshake with Origin {origin} "
                           f"answered 200 {header}: a browser on that origin cannot read it",
                           answer)
    if answer.status in (400, 403):
        reason = server_error(answer) or f"status {answer.status}"
        return ctx.finding(Cause.SOCKETIO_CORS_BLOCKED, f"the handshake with Origin {origin} "
                           f"was refused ({reason}) while the same handshake without an Origin "
                           "works", answer)
    return unexpected(ctx, answer, f"a 200 open packet allowing Origin {origin}")


def server_error(answer: HttpAnswer) -> str | None:
    """The Engine.IO server's refusal: Node's `{"code": N, ...}` named by its code, or
    python-engineio's JSON string (`"http://x is not an accepted origin."`)."""
    decoded = decode_error(answer.text)
    if decoded:
        return decoded
    body = answer.json()
    if isinstance(body, str) and body.strip():
        return f"the server said {safe_excerpt(body, 160)!r}"
    return None


def session_evidence(ctx: Context, session: SessionResult) -> str:
    how = "websocket only" if session.transport == "websocket-direct" else "websocket upgrade"
    return ctx.clean(f"GET {session.path or '(no session)'} ({how}) -> "
                     f"{session.upgrade_seen} [{session.elapsed_s * 1000:.0f} ms]")


def unreachable(ctx: Context, where: str, seen: str, evidence: str) -> Finding:
    """A websocket whose connection was never made (refused, no route): the outage of what
    listens at `where` (host:port), the target's or a service's it sends clients to
    directly (socketio.url), not a broken upgrade."""
    if where != urlsplit(ctx.config.base_url).netloc:
        return ctx.finding(Cause.UPSTREAM_UNREACHABLE, f"the websocket to the service at {where} "
                           f"could not connect ({seen}): the gateway answers, the service "
                           "behind it (reached directly there) is down or not on that port",
                           evidence=evidence, socket=True)
    return ctx.finding(Cause.TARGET_UNREACHABLE, f"the websocket to the target at {where} could "
                       f"not connect ({seen})", evidence=evidence, socket=True)


def upgrade(ctx: Context, session: SessionResult) -> Finding | None:
    """Websocket with the polling sid: 101, 2probe -> 3probe, 5."""
    if session.upgrade_ok:
        return None
    if session.unreachable:
        return unreachable(ctx, session.unreachable, session.upgrade_seen,
                           session_evidence(ctx, session))
    http = session.upgrade_http
    if http is not None and (http.status in (429, 301, 302, 303, 307, 308) or
                             (looks_like_proxy_error(ctx, http) and http.status not in
                              (502, 504))):
        return unexpected(ctx, http, "101 Switching Protocols")
    return ctx.finding(Cause.WEBSOCKET_UPGRADE_BROKEN, "the polling handshake works but the "
                       f"websocket upgrade of its session failed: {session.upgrade_seen}",
                       evidence=session_evidence(ctx, session), socket=True)


def websocket_only(ctx: Context, opened: bool, seen: str, http: HttpAnswer | None,
                   where: str = "") -> Finding | None:
    """A websocket-only session opens with the open packet as its first frame (`seen`: what
    happened; `http`: the server's answer when it did not switch protocols; `where`: the
    host:port that refused the connection, when none was made)."""
    if opened:
        return None
    if where:
        return unreachable(ctx, where, seen, ctx.clean(f"websocket only -> {seen}"))
    if http is not None and (http.status in (429, 301, 302, 303, 307, 308) or
                             (looks_like_proxy_error(ctx, http) and
                              http.status not in (502, 504))):
        return unexpected(ctx, http, "101 Switching Protocols")
    return ctx.finding(Cause.WEBSOCKET_UPGRADE_BROKEN, "a websocket-only session failed: "
                       f"{seen}", evidence=ctx.clean(f"websocket only -> {seen}"),
                       socket=True)


def _attempt_evidence(ctx: Context, attempt: ConnectAttempt, transport: str) -> str:
    if attempt.accepted:
        outcome = "connected"
    elif attempt.refused:
        outcome = f"connect_error {safe_excerpt(repr(attempt.data), 200)}"
    else:
        outcome = attempt.error or "no answer"
    return ctx.clean(f"Socket.IO CONNECT with {attempt.variant} over {transport} -> {outcome} "
                     f"[{attempt.elapsed_s * 1000:.0f} ms]")


def refusal(ctx: Context, attempt: ConnectAttempt, transport: str) -> Finding | None:
    """A connect without a valid token must end in connect_error (or a closed session)."""
    if attempt.refused or attempt.closed:
        return None
    evidence = _attempt_evidence(ctx, attempt, transport)
    if attempt.accepted:
        return ctx.finding(Cause.SOCKETIO_AUTH_NOT_ENFORCED, f"the Socket.IO connect with "
                           f"{attempt.variant} was accepted (namespace "
                           f"{ctx.contract.socketio.namespace} connected)",
                           evidence=evidence, socket=True)
    return ctx.finding(Cause.NO_RESPONSE, f"the Socket.IO connect with {attempt.variant} was "
                       f"neither accepted nor refused: {attempt.error}",
                       evidence=evidence, socket=True)


def connect(ctx: Context, attempt: ConnectAttempt, transport: str) -> Finding | None:
    """A connect with the run's valid token is accepted."""
    if attempt.accepted:
        return None
    evidence = _attempt_evidence(ctx, attempt, transport)
    if attempt.closed:
        return ctx.finding(Cause.CREDENTIALS_REJECTED, "the server closed the Socket.IO "
                           "session instead of accepting the run's valid credentials (the REST "
                           "routes accept them: do both services verify with the same JWT "
                           "secret?)", evidence=evidence, socket=True)
    if attempt.refused:
        return ctx.finding(Cause.CREDENTIALS_REJECTED, "the server refused the Socket.IO "
                           f"connect with the run's valid credentials, saying "
                           f"{_message(attempt.data)!r} (the "
                           "REST routes accept it: do both services verify with the same JWT "
                           f"secret and read {ctx.contract.socketio.auth_field!r}?)",
                           evidence=evidence, socket=True)
    return ctx.finding(Cause.NO_RESPONSE, "the Socket.IO connect with a valid token was "
                       f"neither accepted nor refused: {attempt.error}",
                       evidence=evidence, socket=True)


def realtime(ctx: Context, session: SessionResult) -> Finding | None:
    """After the join, the posted message comes back as the contract's event in budget."""
    spec, flow = ctx.contract.socketio, ctx.contract.flow
    evidence = session_evidence(ctx, session)
    if session.event is not None:
        return None
    if not session.joined:
        reply = session.join_error or \
            f"the server answered {safe_excerpt(repr(session.join_reply), 200)}"
        hint = "" if session.join_error is None else _join_hint(spec.join_confirm,
                                                              session.seen_while_joining)
        if session.join_error is None and NOT_A_MEMBER.search(repr(session.join_reply)):
            return ctx.finding(Cause.CONTRACT_MISMATCH, f"{spec.join_event} of conversation "
                               f"{session.conversation_id} was refused: {reply}: the server does "
                               "not count the run's user as a member of the conversation it "
                               "created (or of flow.conversation_id); check who the create makes "
                               "a participant and which user id the server compares",
                               evidence=evidence, socket=True)
        return ctx.finding(Cause.CONTRACT_MISMATCH, f"{spec.join_event} of conversation "
                           f"{session.conversation_id} was not confirmed: {reply}{hint}; check "
                           "socketio.join_event and socketio.join_payload",
                           evidence=evidence, socket=True)
    post = session.post
    if post is not None and post.status not in flow.created_statuses:
        return unexpected(ctx, post, " or ".join(map(str, flow.created_statuses)))
    others = f" ({session.events_seen} other {spec.message_event} events)" \
        if session.events_seen else ""
    if session.text_came_as:
        others += (f"; the text came as {safe_excerpt(session.text_came_as, 60)!r}: set "
                   f"socketio.message_event: {safe_excerpt(session.text_came_as, 60)}")
    how = "posted" if post is not None else f"sent with {flow.message_via}"
    return ctx.finding(Cause.REALTIME_EVENT_MISSING, f"the message was {how} to conversation "
                       f"{session.conversation_id}, but no {spec.message_event!r} with its text "
                       f"arrived within {spec.event_budget_ms} ms{others}",
                       post if post is not None else None,
                       evidence=evidence if post is None else "",
                       socket=post is None)


NOT_A_MEMBER = re.compile(r"(?i)forbidden|not (?:a )?(?:member|participant)|not allowed|"
                          r"access denied|unauthori[sz]ed|not found")


def _join_hint(join_confirm: str, seen: list[str]) -> str:
    """What the contract could say instead, from the events the server sent meanwhile."""
    names = [safe_excerpt(name, 60) for name in dict.fromkeys(seen)][:3]
    if names:
        return (f" (meanwhile the server emitted {', '.join(map(repr, names))}: if that confirms "
                f"the join, set socketio.join_confirm: event:{names[0]})")
    if join_confirm == "ack":
        return (" (if the server confirms a join with an event, set socketio.join_confirm: "
                "event:<name>; if it confirms nothing, join_confirm: none)")
    return ""


def _message(data: Any) -> str:
    if isinstance(data, dict) and "message" in data:
        return safe_excerpt(str(data["message"]), 200)
    return safe_excerpt(repr(data), 200)


@rule("handshake", shown_by="suites/socket/test_handshake.py::test_polling_handshake")
def handshake_check(judge: Judge, check: Check) -> Result:
    answer = judge.plain_handshake()
    return NOT_SENT if answer is None else handshake(judge.ctx, answer)


@rule("cors", shown_by="suites/socket/test_cors.py::test_handshake_allows_origin")
def cors_check(judge: Judge, check: Check) -> Result:
    answer = judge.evidence.answers.get(HANDSHAKE)
    return NOT_SENT if answer is None else cors(judge.ctx, answer, judge.ctx.config.origin or "")


@rule("upgrade", shown_by="suites/socket/test_upgrade.py::test_upgrade_from_polling")
def upgrade_check(judge: Judge, check: Check) -> Result:
    session = judge.session()
    return NOT_SENT if session is None else upgrade(judge.ctx, session)


@rule("websocket-only", shown_by="suites/socket/test_upgrade.py::test_websocket_only_session")
def websocket_only_check(judge: Judge, check: Check) -> Result:
    if SESSION in check.probes:  # the server takes websockets only: the session's open
        session = judge.session()
        return NOT_SENT if session is None else websocket_only(
            judge.ctx, session.upgrade_ok, session.upgrade_seen, session.upgrade_http,
            session.unreachable)
    seen = judge.evidence.websocket_only
    return NOT_SENT if seen is None else websocket_only(judge.ctx, seen.opened, seen.seen,
                                                        seen.http, seen.unreachable)


@rule("connect-refused", shown_by="suites/socket/test_connect.py::test_connect_refused")
def refusal_check(judge: Judge, check: Check) -> Result:
    session = judge.working_session()
    attempt = session.connects.get(check.params["variant"]) if session else None
    if session is None or attempt is None:
        return judge.opened_by(session)
    return refusal(judge.ctx, attempt, session.transport)


@rule("connect", shown_by="suites/socket/test_connect.py::test_connect_with_token")
def connect_check(judge: Judge, check: Check) -> Result:
    session = judge.session()
    attempt = session.connects.get("valid-token") if session else None
    if session is None or attempt is None:
        return judge.opened_by(session) if session and not session.upgrade_ok else \
            _no_token(judge, "no token to connect with")
    return connect(judge.ctx, attempt, session.transport)


def _no_token(judge: Judge, otherwise: str) -> NotTested:
    problem = judge.evidence.token_problem
    return NotTested(f"no token ({problem})" if problem else otherwise)


@rule("realtime", shown_by="suites/socket/test_realtime.py::test_message_round_trip")
def realtime_check(judge: Judge, check: Check) -> Result:
    session = judge.working_session()
    attempt = session.connects.get("valid-token") if session else None
    if session is not None and attempt is None and session.upgrade_ok:
        return _no_token(judge, "no token to connect with")
    if session is None or attempt is None:
        return judge.opened_by(session)
    if not attempt.accepted:
        return Blocked(check_key("connect", "websocket-token"))
    if session.conversation_id is None:
        return NotTested(session.no_conversation or "no conversation to join")
    return realtime(judge.ctx, session)

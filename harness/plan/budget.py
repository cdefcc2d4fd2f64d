"""Fitting a plan into a request budget: the mission's invariants first, the rest if room.

A Socket.IO session costs what its kept checks need of it: upgrade and the refusals cost one
request over websocket (a fitted session keeps its whole chain on that one wire rather than pay
a request for a websocket of the chain's own), the listeners, the second member and the bad
events only when the checks that read them are kept, so the handshake, upgrade and auth on
connect fit a small budget without the realtime round trip.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace

from harness.records.http import HttpRequest
from harness.records.outcome import NotTested, Why
from harness.records.plan import Check, Plan, SessionSpec

RESERVE = 2  # requests kept back for follow-ups (a re-handshake, a quiet re-measurement)
ROOM_ROLES = {"room-access": "outsider", "delivery": "peer"}  # the listener each check reads
NEEDS_ROOM = frozenset({"realtime", *ROOM_ROLES})
NEEDS_CONNECT = frozenset({"connect", "bad-event", *NEEDS_ROOM})


def trimmed(session: SessionSpec, checks: Iterable[Check]) -> SessionSpec:
    """`session` with only the steps `checks` (the kept checks on it) read."""
    checks = list(checks)
    kinds = {check.kind for check in checks}
    variants = {check.params.get("variant") for check in checks if check.kind == "connect-refused"}
    realtime = session.realtime and bool(kinds & NEEDS_ROOM)
    connect = session.connect and bool(kinds & NEEDS_CONNECT)
    roles = {ROOM_ROLES[kind] for kind in kinds if kind in ROOM_ROLES}
    return replace(session, refusals=tuple(v for v in session.refusals if v in variants),
                   may_split=False,  # under a budget: round trips, not requests
                   connect=connect, realtime=realtime,
                   second_member=session.second_member and realtime,
                   listeners=tuple(r for r in session.listeners if r in roles) if realtime
                   else (),
                   probe_events=session.probe_events if connect and "bad-event" in kinds
                   else ())


IDENTITY_NEEDS = {"peer": ("peer",), "outsider": ("outsider",),
                  "other-user": ("outsider", "peer")}  # whose id stands in for another user's


def identity_requests(plan: Plan, check: Check) -> set[str]:
    """What the identities a check needs must send first: their logins and whoami reads
    (their token and id). A check is kept only with them: without them it could not run."""
    keys: set[str] = set()
    for need in check.needs:
        for role in IDENTITY_NEEDS.get(need, ()):
            found = {key for key in (f"login:{role}", f"whoami:{role}")
                     if plan.request(key) is not None}
            if found:
                keys |= found
                break
    return keys


def fit(plan: Plan, available: int, why: str, already_sent: frozenset[str] = frozenset(),
        reserve: int = RESERVE, covers: Callable[[str], bool] | None = None,
        socket_path: str = "/socket.io/") -> Plan:
    """The highest-priority checks whose probes fit in `available` more requests (keeping
    `reserve` back when not all fit); the others are left out with `why`. A check costs its
    probes and what its identities send first (`identity_requests`); probes already sent
    cost nothing; a session costs what its kept checks need of it. With `covers` (a declared
    limit's prefixes) only the requests to the paths it covers count (the session's at
    `socket_path`)."""
    def counted(request: HttpRequest | None) -> bool:
        return request is not None and (covers is None or covers(request.path.split("?")[0]))

    on_socket = int(covers is None or covers(socket_path))
    needed = sum(1 for r in plan.http if r.key not in already_sent and counted(r)) + \
        on_socket * sum(session.requests for session in plan.sessions)
    if needed <= available:
        return plan
    room = max(0, available - reserve)
    chosen: set[str] = set(already_sent)
    keep: list[Check] = []
    sessions = {s.key: s for s in plan.sessions}
    on_session: dict[str, list[Check]] = {key: [] for key in sessions}
    order = sorted((c for c in plan.checks if c.key not in plan.left_out),
                   key=lambda c: (c.priority, plan.checks.index(c)))

    def session_cost(key: str, checks: list[Check]) -> int:
        return on_socket * trimmed(sessions[key], checks).requests if checks else 0

    for check in order:
        own = set(check.probes) | identity_requests(plan, check)
        handshakes = {sessions[p].handshake for p in own if p in sessions} - {""}
        extra = sum(1 for p in (own | handshakes) - chosen - sessions.keys()
                    if counted(plan.request(p)))
        extra += sum(session_cost(p, [*on_session[p], check]) - session_cost(p, on_session[p])
                     for p in own & sessions.keys())
        if extra <= room:
            room -= extra
            chosen |= own | handshakes
            keep.append(check)
            for key in own & sessions.keys():
                on_session[key].append(check)
    kept = {check.key for check in keep}
    left_out = dict(plan.left_out)
    for check in plan.checks:
        if check.key not in kept and check.key not in left_out:
            left_out[check.key] = NotTested(why, Why.BUDGET)
    http = tuple(r for r in plan.http if r.key in chosen or r.key in already_sent)
    kept_sessions = tuple(trimmed(s, on_session[s.key]) for s in plan.sessions
                          if on_session[s.key])
    return replace(plan, http=http, sessions=kept_sessions, left_out=left_out)

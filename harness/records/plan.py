"""Checks and the plan: a check is data (its kind, what it reads, what it needs); the rule
that judges a kind is registered with the judge, the suite test that shows it with the rule."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from harness.records.http import HttpRequest
from harness.records.outcome import NotTested


@dataclass(frozen=True)
class Check:
    """One contract check: its id, the probes it reads, the inputs it needs, its rule's args.

    `needs` names run inputs (credentials, origin, service-log, expected-services,
    jwt-secret); a check whose input is missing is "not tested" with that reason. `after`
    names checks whose failure blocks this one. `priority` orders checks when a request budget
    forces a subset (0: the mission's invariants).
    """

    id: str
    kind: str
    probes: tuple[str, ...]
    needs: tuple[str, ...] = ()
    after: tuple[str, ...] = ()
    writes: bool = False
    priority: int = 1
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """Unique in a run: the kind and the case id (`after` refers to checks by it)."""
        return check_key(self.kind, self.id)


def check_key(kind: str, case: str) -> str:
    return f"{kind}[{case}]"


def kind_of_key(key: str) -> str:
    return key.split("[", 1)[0]


@dataclass(frozen=True)
class LogScan:
    """One scan of a service log: for `signature` (a contract signature's name, or the port
    check against `ports`)."""

    key: str
    path: str
    signature: str
    ports: tuple[int, ...] = ()
    service: str = ""


@dataclass(frozen=True)
class FollowUp:
    """A probe sent only when a condition holds after the first pass, planned like the rest.

    `when` names the condition: `auth-variant-failed:<variant>` (the matrix route failed that
    variant: send it on every route), `handshake-refused-with-origin` (the handshake again
    without Origin), `upgrade-failed` (a fresh polling handshake for a polling session).
    `check` is the check the probe adds, if any.
    """

    when: str
    request: HttpRequest
    check: Check | None = None


@dataclass(frozen=True)
class SessionSpec:
    """The Socket.IO session: over one connection it checks upgrade, refusals, connect,
    join, a post and the realtime event (each step only when its check is planned);
    `listeners` are identities (peer, outsider) that join the run's room on connections of
    their own before the post, and whose deliveries are counted."""

    key: str
    handshake: str  # the polling handshake's probe key; "" for a websocket-direct session
    refusals: tuple[str, ...] = ()  # "forged-token": a forgery of the run's token (send time)
    connect: bool = False
    realtime: bool = False
    transport: str = "websocket"
    second_member: bool = False
    listeners: tuple[str, ...] = ()
    probe_events: tuple[str, ...] = ()
    separate_notifications: bool = False
    may_split: bool = True  # the chain may take a websocket of its own: a request more, RTTs fewer

    @property
    def chain_apart(self) -> bool:
        """The authenticated chain (connect, join, post, event, bad events) runs on a websocket
        opened directly, beside the handshake's session, which makes the refusals."""
        return self.transport in ("websocket", "websocket-direct") and bool(self.refusals) \
            and self.may_split and self.connect

    @property
    def requests(self) -> int:
        """Upper bound of requests: 1 upgrade over websocket (and 1 for the chain's own
        websocket, where the other identities open theirs directly too); polling needs one
        POST + GET per step (plus the long-poll for the event)."""
        others = int(self.second_member) + len(self.listeners) * \
            (2 if self.separate_notifications else 1)
        if self.transport == "websocket-only":
            return 1
        after = int(bool(self.probe_events))  # one handshake: is the service still there?
        if self.chain_apart:  # the chain's wire asks that itself
            return 1 + 1 + others
        if self.transport == "websocket-direct":
            return 1 + others + after
        if self.transport == "websocket":
            return 1 + 2 * others + after
        return 2 * (len(self.refusals) + int(self.connect) + int(self.realtime)) + 1 + \
            3 * others + after


@dataclass(frozen=True)
class Plan:
    """Checks and the probes they need; `http` in the order they are sent."""

    checks: tuple[Check, ...]
    http: tuple[HttpRequest, ...]
    sessions: tuple[SessionSpec, ...] = ()
    follow_ups: tuple[FollowUp, ...] = ()
    log_scans: tuple[LogScan, ...] = ()
    left_out: Mapping[str, NotTested] = field(default_factory=dict)

    @property
    def request_count(self) -> int:
        return len(self.http) + sum(session.requests for session in self.sessions)

    def by_suite(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for request in self.http:
            counts[request.suite] = counts.get(request.suite, 0) + 1
        for session in self.sessions:
            counts["socket"] = counts.get("socket", 0) + session.requests
        return counts

    def check(self, key: str) -> Check:
        return next(check for check in self.checks if check.key == key)

    def request(self, key: str) -> HttpRequest | None:
        return next((request for request in self.http if request.key == key), None)

    def follow_up(self, when: str) -> FollowUp | None:
        return next((f for f in self.follow_ups if f.when == when), None)

    def with_follow_ups(self, sent: Iterable[FollowUp]) -> Plan:
        """The plan with these follow-ups' checks and requests added (they were sent)."""
        sent = list(sent)
        return replace(self, checks=self.checks + tuple(f.check for f in sent if f.check),
                       http=self.http + tuple(f.request for f in sent))

    def select(self, keys: Iterable[str]) -> Plan:
        """The plan for these checks only (with what blocks them): the probes they need."""
        wanted = set(keys)
        closure = {check.key for check in self.checks if check.key in wanted}
        grew = True
        while grew:
            before = len(closure)
            for check in self.checks:
                if check.key in closure:
                    closure.update(check.after)
            grew = len(closure) != before
        checks = tuple(check for check in self.checks if check.key in closure)
        needed = {probe for check in checks for probe in check.probes}
        sessions = tuple(s for s in self.sessions if s.key in needed)
        needed |= {s.handshake for s in sessions}
        http = tuple(r for r in self.http if r.key in needed or r.key.split(":")[0] == "login")
        return replace(self, checks=checks, http=http, sessions=sessions)

"""Checks and the plan: a check is data (what it reads, what it needs) plus a named rule."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any

from harness.records.http import HttpRequest


class Family(Enum):
    """A kind of check: the suite it belongs to and the suite test that shows it."""

    LOGIN = ("rest", "test_happy_path", "test_login")
    AUTH = ("rest", "test_auth", "test_rejects")
    BAD_BODY = ("rest", "test_bad_input", "test_rejects_bad_body")
    LIST = ("rest", "test_happy_path", "test_lists")
    CREATE = ("rest", "test_happy_path", "test_create_conversation")
    POST = ("rest", "test_happy_path", "test_post_message")
    UNKNOWN_ROUTE = ("rest", "test_unknown_route", "test_unknown_api_route")
    HANDSHAKE = ("socket", "test_handshake", "test_polling_handshake")
    UPGRADE = ("socket", "test_upgrade", "test_upgrade_from_polling")
    WEBSOCKET_ONLY = ("socket", "test_upgrade", "test_websocket_only_session")
    CONNECT = ("socket", "test_connect", "test_connect_with_token")
    CONNECT_REFUSED = ("socket", "test_connect", "test_connect_refused")
    CORS = ("socket", "test_cors", "test_handshake_allows_origin")
    REALTIME = ("socket", "test_realtime", "test_message_round_trip")
    HEALTH_DOCUMENT = ("health", "test_health", "test_health_document")
    AGGREGATE = ("health", "test_health", "test_aggregate_service")
    ALIAS = ("health", "test_health", "test_service_health_alias")
    SERVICE_MAP = ("health", "test_health", "test_service_map")
    SERVICE_LOG = ("health", "test_logs", "test_service_log")
    TUNNEL = ("health", "test_ngrok", "test_tunnel_upstream")

    def __init__(self, suite: str, module: str, test_name: str) -> None:
        self.suite = suite
        self.module = module
        self.test_name = test_name


@dataclass(frozen=True)
class Check:
    """One contract check: its id, the probes it reads, the inputs it needs, its rule's args.

    `needs` names run inputs (credentials, origin, service-log, expected-services,
    jwt-secret); a check whose input is missing is "not tested" with that reason. `after`
    names checks whose failure blocks this one. `priority` orders checks when a request budget
    forces a subset (0: the mission's invariants).
    """

    id: str
    family: Family
    probes: tuple[str, ...]
    needs: tuple[str, ...] = ()
    after: tuple[str, ...] = ()
    writes: bool = False
    priority: int = 1
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def suite(self) -> str:
        return self.family.suite

    @property
    def key(self) -> str:
        """Unique in a run: the family's test name and the case id."""
        return f"{self.family.test_name}[{self.id}]"

    @property
    def node_id(self) -> str:
        """The pytest node id of the suite test that shows this check."""
        return f"suites/{self.suite}/{self.family.module}.py::{self.key}"


@dataclass(frozen=True)
class SessionSpec:
    """The Socket.IO session: over one connection it checks upgrade, refusals, connect,
    join, a post and the realtime event (each step only when its check is planned)."""

    key: str
    handshake: str  # the polling handshake's probe key; "" for a websocket-direct session
    refusals: tuple[str, ...] = ()
    connect: bool = False
    realtime: bool = False
    transport: str = "websocket"
    second_member: bool = False

    @property
    def requests(self) -> int:
        """Upper bound of requests: 1 upgrade over websocket; polling needs one POST + GET per
        step (plus the long-poll for the event)."""
        if self.transport == "websocket-only":
            return 1
        if self.transport == "websocket-direct":
            return 1 + int(self.second_member)
        if self.transport == "websocket":
            return 1 + 2 * int(self.second_member)
        return 2 * (len(self.refusals) + int(self.connect) + int(self.realtime)) + 1


@dataclass(frozen=True)
class Plan:
    """Checks and the probes they need; `http` in the order they are sent."""

    checks: tuple[Check, ...]
    http: tuple[HttpRequest, ...]
    sessions: tuple[SessionSpec, ...] = ()
    conditional: tuple[str, ...] = ()
    left_out: Mapping[str, str] = field(default_factory=dict)

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
        http = tuple(r for r in self.http if r.key in needed or r.key == "login")
        return replace(self, checks=checks, http=http, sessions=sessions)

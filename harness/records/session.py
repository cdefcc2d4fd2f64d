"""What a Socket.IO session saw, step by step: the evidence the socket rules judge."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.records.http import HttpAnswer
from harness.records.timeline import Span


@dataclass
class ConnectAttempt:
    """One namespace connect: accepted, refused (with the server's data), or no answer."""

    variant: str
    accepted: bool = False
    refused: bool = False
    data: Any = None
    error: str | None = None
    elapsed_s: float = 0.0
    closed: bool = False
    started: float = 0.0


@dataclass
class Listener:
    """Another identity in the run's room (the peer, the outsider): its connect, its join and
    the join's reply, on a connection of its own."""

    role: str
    connect: ConnectAttempt | None = None
    joined: bool | None = None
    join_reply: Any = None
    join_error: str | None = None


@dataclass
class SessionResult:
    """What the session saw, step by step; it stops at the first step that could not run."""

    transport: str
    path: str = ""
    upgrade_ok: bool = False
    upgrade_seen: str = ""
    upgrade_http: HttpAnswer | None = None
    unreachable: str = ""  # host:port whose websocket connection was refused or unreachable
    elapsed_s: float = 0.0
    connects: dict[str, ConnectAttempt] = field(default_factory=dict)
    conversation_id: str | None = None
    no_conversation: str = ""
    joined: bool | None = None
    join_reply: Any = None
    join_error: str | None = None
    post: HttpAnswer | None = None
    text: str = ""
    event: Any = None
    event_after_s: float | None = None
    events_seen: int = 0
    seen_while_joining: list[str] = field(default_factory=list)
    text_came_as: str | None = None
    listeners: dict[str, Listener] = field(default_factory=dict)
    deliveries: dict[str, int] = field(default_factory=dict)
    settle_s: float = 0.0
    probed_events: list[str] = field(default_factory=list)
    alive_after_probes: bool | None = None
    after_probes: HttpAnswer | None = None
    after_probes_seen: str = ""
    steps: dict[str, Span] = field(default_factory=dict)


@dataclass(frozen=True)
class WebsocketOpen:
    """A session opened over websocket alone: whether the open packet came, what was seen,
    the HTTP answer when the server did not switch protocols, and the host:port that refused
    the connection (or could not be reached) when none was made."""

    opened: bool
    seen: str
    http: HttpAnswer | None = None
    unreachable: str = ""

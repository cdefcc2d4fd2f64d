"""What the Socket.IO probes saw: the evidence records the socket diagnosis rules read."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.probe import ProbeResult


@dataclass(frozen=True)
class WsAttempt:
    """What one raw websocket attempt saw; `http` is the answer when there was no 101."""

    path: str
    label: str
    ok: bool
    seen: str
    elapsed_s: float
    http: ProbeResult | None = None
    first_frame: str = ""

    @property
    def request_line(self) -> str:
        return f"GET {self.path} ({self.label})"


@dataclass(frozen=True)
class ClientAttempt:
    """One python-socketio connect: namespace connected or not, and what the server said."""

    label: str
    wanted: str
    connected: bool
    transport: str | None
    engine_connected: bool
    connect_error: Any
    error: str | None
    elapsed_s: float
    timed_out: bool = False


@dataclass(frozen=True)
class SocketSurvey:
    """The independent socket checks, run concurrently: each test asserts on one part."""

    polling: ProbeResult
    upgrade: WsAttempt | None
    websocket_only: WsAttempt
    cors: ProbeResult | None
    clients: dict[str, ClientAttempt] = field(default_factory=dict)


@dataclass
class RoundTrip:
    """The realtime round trip, stage by stage; it stops at the first stage that failed."""

    text: str
    budget_s: float
    client: ClientAttempt | None = None
    create: ProbeResult | None = None
    conversation_id: str | None = None
    ack: Any = None
    ack_error: str | None = None
    post: ProbeResult | None = None
    event: Any = None
    event_after_s: float | None = None
    events_seen: int = 0



def ack_ok(ack: Any) -> bool:
    """An ack that does not say it failed (`{"ok": false}`, `{"error": ...}`, false)."""
    if isinstance(ack, dict):
        return ack.get("ok", True) is not False and not ack.get("error")
    return ack is not False



"""Everything the probes saw, as data the judge reads: answers, sessions, tunnels, log lines,
the run values they produced, and how the run got as far as it did (preflight, start)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from harness.records.http import HttpAnswer
from harness.records.session import SessionResult, WebsocketOpen
from harness.records.timeline import Timeline


@dataclass(frozen=True)
class Tunnel:
    """One tunnel of the local ngrok agent: where the public URL forwards to on this machine."""

    name: str
    public_url: str
    addr: str

    @property
    def upstream(self) -> tuple[str, int] | None:
        """(host, port) of `config.addr` (`http://localhost:5005`, `localhost:5005`, `5005`)."""
        addr = self.addr.strip()
        if addr.isdigit():
            return "localhost", int(addr)
        parts = urlsplit(addr if "://" in addr else f"tcp://{addr}")
        try:
            port = parts.port
        except ValueError:
            return None
        if port is None:
            port = {"http": 80, "https": 443}.get(parts.scheme)
        return (parts.hostname or "localhost", port) if port else None

    @property
    def id(self) -> str:
        return self.name or self.public_url


@dataclass(frozen=True)
class TunnelState:
    """One tunnel of the local ngrok agent, and whether its upstream port listens."""

    tunnel: Tunnel
    listening: bool


@dataclass(frozen=True)
class LogHit:
    """One log line that matched a signature."""

    path: str
    line_no: int
    line: str

    @property
    def where(self) -> str:
        return f"{Path(self.path).name}:{self.line_no}"


@dataclass(frozen=True)
class StartFailure:
    """A stack the run had to start did not start: which (the target label), why, and for a
    service that crashed or never became ready, its name, exit code and last log lines."""

    target: str
    message: str
    service: str | None = None
    exit_code: int | None = None
    log_tail: tuple[str, ...] = ()
    kind: str = "containers"  # containers | ngrok


@dataclass
class Evidence:
    """Everything the probes saw, by probe key, and the run values they produced."""

    answers: dict[str, HttpAnswer] = field(default_factory=dict)
    sessions: dict[str, SessionResult] = field(default_factory=dict)
    fallback: SessionResult | None = None
    token: str | None = None
    token_problem: str = ""
    conversation_id: str | None = None
    tunnels: list[TunnelState] | str | None = None
    websocket_only: WebsocketOpen | None = None
    logs: dict[str, list[LogHit]] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    forgeries: dict[str, str] = field(default_factory=dict, repr=False)  # records.forgery's
    user_ids: dict[str, str] = field(default_factory=dict)
    other_role: str = ""
    identity_problems: dict[str, str] = field(default_factory=dict)
    texts: list[str] = field(default_factory=list)
    first: HttpAnswer | None = None
    token_checks: list[HttpAnswer] = field(default_factory=list)
    timeline: Timeline = field(default_factory=Timeline)

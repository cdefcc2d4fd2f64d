"""Awaiting a stack's services: every one ready, then the gateway's health route, in one bound.

A service is ready when its healthcheck says healthy (if it has one: then nothing else counts);
otherwise when it listens on one of its ports (read from the container's /proc/net/tcp), when a
log line matches the start pattern, or when its published port holds a connection open; a service
with no port and no such line, once it has run steadily for `STEADY_S` (and, when other
services address it by a port, listens on some port). A container that exits,
restarts or turns unhealthy fails the start at once (`ServiceStartFailed`, with its exit code and
last log lines), and so does a port bound to 127.0.0.1 inside its container ("bind 0.0.0.0").
"""

from __future__ import annotations

import calendar
import re
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from harness.sanitize.redact import Redactor
from harness.stacks.docker import ServiceStartFailed, log_tail

DEFAULT_START_PATTERN = (r"(?i)\b(listening|running on|started|server is up|ready to accept"
                         r"|waiting for connections)\b")
STEADY_S = 10.0
POLL_S = 0.5
PROGRESS_EVERY_S = 5.0
LISTEN = "0A"


@dataclass
class Service:
    """One container to await; `ports` are container ports it should listen on."""

    name: str
    container: Any
    ports: tuple[int, ...] = ()
    published: dict[int, tuple[str, int]] = field(default_factory=dict)
    pattern: re.Pattern[str] | None = None
    ready: str = ""
    addressed: tuple[int, ...] = ()


def listening(container: Any) -> list[tuple[str, int]] | None:
    """(scope, port) of the container's listening TCP sockets, scope "loopback" or "any";
    None when they cannot be read (no host /proc for its pid, no `cat` in the image)."""
    pid = container.attrs.get("State", {}).get("Pid") or 0
    text = None
    if pid:
        try:
            text = "".join(Path(f"/proc/{pid}/net/{n}").read_text() for n in ("tcp", "tcp6"))
        except OSError:
            text = None
    if text is None:
        try:
            code, out = container.exec_run(["cat", "/proc/net/tcp", "/proc/net/tcp6"])
        except Exception:
            return None
        if code not in (0, 1) or not out:
            return None
        text = out.decode("ascii", errors="replace")
    sockets = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) > 3 and parts[3] == LISTEN and ":" in parts[1]:
            address, port = parts[1].split(":")
            sockets.append((_scope(address), int(port, 16)))
    return sockets


def _scope(hex_address: str) -> str:
    if hex_address.endswith("7F") and len(hex_address) in (8, 32):  # 127.x.x.x, v4-mapped too
        return "loopback"
    if hex_address == "00000000000000000000000001000000":  # ::1
        return "loopback"
    return "any"


def probe_published(host: str, port: int) -> str:
    """"open" (a server holds the connection or greets), "reset" (accepted, then closed at once:
    docker's proxy with nothing reachable behind it) or "refused"."""
    try:
        with socket.create_connection((host, port), timeout=1.0) as conn:
            conn.settimeout(0.3)
            try:
                return "open" if conn.recv(1) else "reset"
            except TimeoutError:
                return "open"
            except OSError:
                return "reset"
    except OSError:
        return "refused"


class Waiter:
    """Awaits services and then a health URL, within one deadline, with progress via `say`."""

    def __init__(self, deadline: float, say: Callable[[str], object], redactor: Redactor,
                 label: str = "hermetic") -> None:
        self.deadline = deadline
        self.say = say
        self.redactor = redactor
        self.label = label
        self.started = time.monotonic()
        self._last_progress = self.started

    def _elapsed(self) -> str:
        return f"{time.monotonic() - self.started:.1f} s"

    def services(self, services: list[Service]) -> None:
        pending = list(services)
        resets: dict[str, int] = {}
        while pending:
            for service in list(pending):
                how = self._check(service, resets)
                if how:
                    service.ready = how
                    pending.remove(service)
                    self.say(f"{self.label}: {service.name} ready ({how}) after {self._elapsed()}")
            if not pending:
                return
            if time.monotonic() > self.deadline:
                self._timed_out(pending[0], resets.get(pending[0].name, 0))
            self._progress("waiting for " + ", ".join(s.name for s in pending))
            time.sleep(POLL_S)

    def _progress(self, text: str) -> None:
        if time.monotonic() - self._last_progress >= PROGRESS_EVERY_S:
            self._last_progress = time.monotonic()
            remaining = max(0.0, self.deadline - time.monotonic())
            self.say(f"{self.label}: {text} ({self._elapsed()}, {remaining:.0f} s left)")

    def _check(self, service: Service, resets: dict[str, int]) -> str:
        container = service.container
        container.reload()
        state = container.attrs.get("State", {})
        self.fail_if_down(service)
        health = (state.get("Health") or {}).get("Status")
        if health:
            if health == "unhealthy":
                self._fail(service, f"service {service.name} is unhealthy (its healthcheck fails)",
                           None)
            return "healthcheck" if health == "healthy" else ""
        sockets = listening(container)
        open_ports = {port for scope, port in sockets or [] if scope == "any"}
        if sockets:
            wanted = set(service.ports) or set(service.addressed) or open_ports
            if wanted & open_ports:
                return f"listening on {min(wanted & open_ports)}"
            expected = set(service.ports) | set(service.addressed)
            loopback = sorted(expected & {p for s, p in sockets if s == "loopback"})
            if loopback:
                self._fail(service, f"service {service.name} listens on 127.0.0.1:{loopback[0]} "
                           "inside its container, so nothing outside it can connect: bind "
                           "0.0.0.0 (e.g. app.listen(PORT, '0.0.0.0'), HOST=0.0.0.0)", None)
        if service.pattern is not None:
            line = _first_match(container, service.pattern)
            if line:
                return f"log: {self.redactor.text(line.strip())[:80]}"
        for host, port in service.published.values():
            answer = probe_published(host, port)
            if answer == "open" and sockets is None:
                return f"published port {port} answers"
            if answer == "reset":
                resets[service.name] = resets.get(service.name, 0) + 1
        if service.ports or service.published or _running_for(state) < STEADY_S:
            return ""
        if service.addressed and sockets is not None:
            if not open_ports:
                return ""  # others address it by a port: steady is not enough until it listens
            return (f"listening on {min(open_ports)}, not on the "
                    f"{'/'.join(map(str, service.addressed))} other services address it by")
        return f"running steadily for {STEADY_S:g} s (no healthcheck, port or start line)"

    def fail_if_down(self, service: Service) -> None:
        """ServiceStartFailed if the container exited or is restarting (crash loop)."""
        state = service.container.attrs.get("State", {})
        if state.get("Status") in ("exited", "dead") or state.get("Restarting"):
            code = state.get("ExitCode")
            self._fail(service, f"service {service.name} exited with code {code} while starting"
                       + (f" ({state['Error']})" if state.get("Error") else ""), code)

    def _fail(self, service: Service, message: str, code: int | None) -> None:
        tail = log_tail(_logs(service.container), self.redactor)
        shown = "\n".join(f"  | {line}" for line in tail) or "  | (no log output)"
        raise ServiceStartFailed(f"{message}. Last log lines of {service.name}:\n{shown}",
                                 service.name, code, tail)

    def _timed_out(self, service: Service, resets: int) -> None:
        awaited = ("its healthcheck" if (service.container.attrs.get("State", {})
                                         .get("Health")) else
                   "a listening port, a start line or an answer on its published port")
        hint = (f"; connections to its published port were reset {resets} time(s): it probably "
                "listens on 127.0.0.1 inside its container (bind 0.0.0.0)" if resets else "")
        budget = self.deadline - self.started
        self._fail(service, f"service {service.name} was not ready within {budget:.0f} s "
                   f"(awaited {awaited}){hint}", None)

    def health(self, url: str, gateway: Service | None = None) -> int:
        """Until `url` gives any HTTP answer (its status is returned: the suites judge it)."""
        resets = 0
        while True:
            try:
                return httpx.get(url, timeout=3.0).status_code
            except (httpx.RemoteProtocolError, httpx.ReadError):
                resets += 1
            except httpx.TransportError:
                pass
            if gateway is not None:
                gateway.container.reload()
                self.fail_if_down(gateway)
            if time.monotonic() > self.deadline:
                hint = (f"; the connection was accepted and reset {resets} time(s): the gateway "
                        "probably listens on 127.0.0.1 inside its container (bind 0.0.0.0)"
                        if resets else "")
                name = gateway.name if gateway else "gateway"
                message = f"{url} gave no HTTP answer within the start timeout{hint}"
                if gateway is None:
                    raise ServiceStartFailed(message, name, None, [])
                self._fail(gateway, message, None)
            self._progress(f"waiting for an answer from {url}")
            time.sleep(POLL_S)


def _first_match(container: Any, pattern: re.Pattern[str]) -> str:
    for line in _logs(container).splitlines():
        if pattern.search(line):
            return line
    return ""


def _logs(container: Any) -> str:
    try:
        return container.logs(tail=500).decode("utf-8", errors="replace")
    except Exception as exc:
        return f"(log unavailable: {type(exc).__name__})"


def _running_for(state: dict[str, Any]) -> float:
    started = state.get("StartedAt") or ""
    match = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)", started)
    if not match or started.startswith("0001"):
        return 0.0
    return time.time() - calendar.timegm(time.strptime(match.group(1), "%Y-%m-%dT%H:%M:%S"))

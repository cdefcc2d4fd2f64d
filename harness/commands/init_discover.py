"""What `python -m harness init` finds on a live target, in at most MAX_REQUESTS requests with
no credentials and nothing created: the health and aggregate routes, the Socket.IO path, which
of the usual routes answer 401, and a login route."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from harness.judge.normalise import aggregate, reported_services, status_word
from harness.probes.http import HttpProbeClient
from harness.records.engineio import (
    HandshakeError,
    decode_error,
    handshake_path,
    parse_open_packet,
)
from harness.records.http import HttpAnswer, HttpRequest, json_request

HEALTH_PATHS = ("/api/health", "/health")
AGGREGATE_PATHS = ("/api/health/aggregate", "/api/health/services")
ROUTES = ("/api/conversations", "/api/messages", "/api/notifications", "/api/users")
LOGIN_PATHS = ("/api/auth/login", "/api/login")
SOCKET_PATHS = ("/socket.io/", "/api/socket.io/")
MAX_REQUESTS = 15


@dataclass
class Health:
    path: str
    word: str
    services: dict[str, str] | list[str] | None = None


@dataclass
class Aggregate:
    path: str
    status: int
    shape: str
    ok: list[str]
    down: dict[str, str]


@dataclass
class Findings:
    """What the probes found; `sent` counts every request."""

    health: Health | None = None
    tried_health: list[str] = field(default_factory=list)
    aggregate: Aggregate | None = None
    socket: tuple[str, str] | None = None
    socket_seen: list[str] = field(default_factory=list)
    websocket_only: bool = False
    routes: dict[str, str] = field(default_factory=dict)
    login: tuple[str, int] | None = None
    sent: int = 0


async def _get(client: HttpProbeClient, path: str) -> HttpAnswer:
    return await client.send(HttpRequest(f"init:{path}", "GET", path, "init"))


def _shape(body: Any) -> str:
    entries = body.get("services") if isinstance(body, dict) else body
    if isinstance(entries, list):
        return "a list of {service, ok}"
    if isinstance(entries, dict) and any(isinstance(v, dict) and isinstance(v.get("status"), str)
                                         for v in entries.values()):
        return "an object keyed by service, {status: ...}"
    return "an object keyed by service, {ok: ...}"


async def _health(client: HttpProbeClient, found: Findings) -> None:
    for path in HEALTH_PATHS:
        answer = await _get(client, path)
        body = answer.json()
        if answer.status == 200 and isinstance(body, dict):
            reported = reported_services(body)
            services: dict[str, str] | list[str] | None = None
            if reported is not None:
                urls, names = reported
                services = urls if urls and len(urls) == len(names) else names
            found.health = Health(path, status_word(body) or "ok", services)
            return
        found.tried_health.append(f"{path} {answer.status or answer.error}")


async def _aggregate(client: HttpProbeClient, found: Findings) -> None:
    accepted = [found.health.word] if found.health else []
    for path in AGGREGATE_PATHS:
        answer = await _get(client, path)
        body = answer.json()
        states = aggregate(body, accepted) if answer.status in (200, 503) else None
        if states:
            found.aggregate = Aggregate(
                path, answer.status or 0, _shape(body),
                sorted(name for name, state in states.items() if state.ok),
                {name: state.error or "not ok" for name, state in sorted(states.items())
                 if not state.ok})
            return


async def _socket(client: HttpProbeClient, found: Findings) -> None:
    for path in SOCKET_PATHS:
        answer = await _get(client, handshake_path(path))
        try:
            packet = parse_open_packet(answer.text)
        except HandshakeError as exc:
            refusal = decode_error(answer.text) or answer.text[:80]
            if answer.status == 400 and "transport" in refusal.lower():
                found.socket, found.websocket_only = (path, f"polling refused ({refusal}): "
                                                      "websockets only"), True
                return
            found.socket_seen.append(f"{path}: {answer.status or answer.error} ({exc})")
            continue
        if answer.status == 200:
            upgrades = ", ".join(packet.upgrades) or "none"
            found.socket = (path, f"Engine.IO v4 open packet (upgrades: {upgrades})")
            return


async def _login(client: HttpProbeClient, found: Findings) -> None:
    for path in LOGIN_PATHS:
        answer = await client.send(json_request(f"init:{path}", "POST", path, "init", {}))
        if answer.status is not None and answer.status not in (404, 405) and \
                answer.status < 500:
            found.login = (path, answer.status)
            return


async def discover(url: str, timeout_s: float) -> Findings:
    """At most MAX_REQUESTS requests, none with credentials, none that creates anything."""
    client = HttpProbeClient(url, timeout_s=timeout_s, max_requests=MAX_REQUESTS)
    found = Findings()
    try:
        await _health(client, found)
        await _aggregate(client, found)
        await _socket(client, found)
        answers = await asyncio.gather(*(_get(client, path) for path in ROUTES))
        for path, answer in zip(ROUTES, answers, strict=True):
            found.routes[path] = str(answer.status or answer.error)
        await _login(client, found)
    finally:
        found.sent = client.requests_sent
        await client.close()
    return found

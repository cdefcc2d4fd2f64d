"""What `python -m harness init` finds on a live target, in at most MAX_REQUESTS requests with
no credentials and nothing created: the health and aggregate routes and the services' health
aliases, the Socket.IO path (at the gateway, else at the messaging service's own URL) and
whether it takes websockets only (its polling handshake refused as an unknown transport: one
websocket opened to verify), which of the usual routes answer 401 (under `/api`, else under a
versioned prefix `/api/v1` or `/v1`, else at the root: `/user`, `/chat`, ... told apart from the
gateway's catch-all answer), and a login route with the fields its 400 names."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from harness.commands.init_fields import LoginFields, login_fields
from harness.commands.init_text import clip
from harness.judge.normalise import aggregate, is_ok, reported_services, status_word
from harness.probes.http import HttpProbeClient
from harness.probes.socketio_upgrade import open_websocket_only
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
ROOT_ROUTES = ("/conversations", "/messages", "/notifications", "/users", "/user", "/chat")
VERSIONED = ("/api/v1", "/v1")  # where the routes may live when nothing answers under /api
ROOT_LOGIN_PATHS = ("/auth/login", "/login", "/user/login", "/users/login")
SOCKET_PATHS = ("/socket.io/", "/api/socket.io/")
NO_SUCH_ROUTE = "/smoke-harness-no-such-route"
ROUTE_LIKE = (200, 400, 401, 403, 422)
MAX_ALIASES = 3
MAX_SERVICE_URLS = 2
MAX_REQUESTS = 30


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
    socket_service: tuple[str, str] | None = None
    service_seen: list[str] = field(default_factory=list)
    websocket_only: bool = False
    websocket_seen: str = ""  # what one websocket opened directly saw (websocket_only)
    aliases: list[tuple[str, str]] = field(default_factory=list)
    routes: dict[str, str] = field(default_factory=dict)
    prefix: str = "/api"
    catch_all: str | None = None
    blanket: str | None = None  # the status every /api path answers without a token, if one
    no_token: set[str] = field(default_factory=set)
    login: tuple[str, int] | None = None
    login_fields: LoginFields | None = None
    sent: int = 0

    @property
    def protected(self) -> list[str]:
        return [path for path, status in self.routes.items() if status in ("401", "403")]


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


def login_paths(prefix: str) -> tuple[str, ...]:
    """The login routes tried under the routes' prefix (`/api`, `/api/v1`; "": the root)."""
    return (f"{prefix}/auth/login", f"{prefix}/login") if prefix else ROOT_LOGIN_PATHS


def _transport_refused(answer: HttpAnswer) -> str | None:
    """The polling handshake refused as an unknown transport (Node's `400 {"code":0,
    "message":"Transport unknown"}`, python-engineio's `400 "Invalid transport"`): a server
    that takes websockets only. Its refusal, else None."""
    refusal = clip(decode_error(answer.text) or answer.text, 60)
    return refusal if answer.status == 400 and "transport" in refusal.lower() else None


async def _open_websocket(url: str, path: str, found: Findings, timeout_s: float,
                          used: int) -> None:
    """One websocket opened directly (counted in `found.sent`), to verify websockets only,
    when the bound leaves room for it (`used`: the requests the gateway's client sent)."""
    if found.sent + used >= MAX_REQUESTS:
        return
    found.sent += 1
    ws_path = handshake_path(path, "websocket")
    seen = await open_websocket_only(url.replace("http", "ws", 1) + ws_path, ws_path,
                                     timeout_s)
    found.websocket_seen = "a websocket opened directly got its open packet" \
        if seen.wire is not None else f"a websocket opened directly failed: {clip(seen.seen, 80)}"


async def _socket(client: HttpProbeClient, found: Findings) -> None:
    for path in SOCKET_PATHS:
        answer = await _get(client, handshake_path(path))
        try:
            packet = parse_open_packet(answer.text)
        except HandshakeError:
            refusal = _transport_refused(answer)
            if refusal:
                found.socket, found.websocket_only = (path, f"polling refused ({refusal}): "
                                                      "websockets only"), True
                await _open_websocket(client.base_url, path, found, client.timeout_s,
                                      client.requests_sent)
                return
            found.socket_seen.append(f"{path} answered {answer.status}" if answer.status
                                     else f"{path}: {answer.error}")
            continue
        if answer.status == 200:
            upgrades = ", ".join(packet.upgrades) or "none"
            found.socket = (path, f"Engine.IO v4 open packet (upgrades: {upgrades})")
            return


def _service_urls(found: Findings, hint: str | None) -> list[str]:
    """The messaging service's own URLs to try: the hint, else the health's service map,
    services named like messaging first."""
    if hint:
        return [hint.rstrip("/")]
    services = found.health.services if found.health else None
    if not isinstance(services, dict):
        return []
    ranked = sorted(services.items(), key=lambda item: not any(
        word in item[0].lower() for word in ("messag", "chat", "socket")))
    return [url.rstrip("/") for _, url in ranked if url.startswith(("http://", "https://"))][
        :MAX_SERVICE_URLS]


async def _service_socket(found: Findings, hint: str | None, timeout_s: float,
                          used: int) -> None:
    """The gateway does not answer the handshake: the messaging service's own URL may (one
    request to each of at most MAX_SERVICE_URLS; `used`: what the gateway's client sent)."""
    for url in _service_urls(found, hint):
        service = HttpProbeClient(url, timeout_s=timeout_s, max_requests=1)
        try:
            answer = await _get(service, handshake_path("/socket.io/"))
        finally:
            found.sent += service.requests_sent
            await service.close()
        try:
            packet = parse_open_packet(answer.text)
        except HandshakeError:
            refusal = _transport_refused(answer)
            if refusal:
                found.socket_service, found.websocket_only = (
                    url, f"polling refused ({refusal}): websockets only"), True
                await _open_websocket(url, "/socket.io/", found, timeout_s, used)
                return
            found.service_seen.append(f"{url}/socket.io/ answered {answer.status}"
                                      if answer.status else f"{url}: {answer.error}")
            continue
        upgrades = ", ".join(packet.upgrades) or "none"
        found.socket_service = (url, f"Engine.IO v4 open packet (upgrades: {upgrades})")
        return


def _signature(answer: HttpAnswer) -> str:
    return f"{answer.status or answer.error} {answer.text[:200]}"


def _route_like(answer: HttpAnswer, found: Findings) -> bool:
    """Answers as a real route would, not as the gateway's catch-all does."""
    return answer.status in ROUTE_LIKE and _signature(answer) != found.catch_all


async def _routes(client: HttpProbeClient, found: Findings) -> None:
    """Which usual routes answer 401 without a token; an unknown `/api` path asked beside
    them tells an auth middleware in front of every path (its 401 proves no route)."""
    *answers, unknown = await asyncio.gather(*(_get(client, path) for path in
                                               (*ROUTES, f"/api{NO_SUCH_ROUTE}")))
    for path, answer in zip(ROUTES, answers, strict=True):
        found.routes[path] = str(answer.status or answer.error)
        found.no_token.add(_signature(answer))
    if unknown.status in (401, 403) and _signature(unknown) in found.no_token:
        found.blanket = str(unknown.status)
    if any(status in {str(s) for s in ROUTE_LIKE} for status in found.routes.values()):
        return
    found.catch_all = _signature(await _get(client, NO_SUCH_ROUTE))
    for prefix in VERSIONED:
        if await _versioned(client, found, prefix):
            return
    answers = await asyncio.gather(*(_get(client, path) for path in ROOT_ROUTES))
    kept = {path: str(answer.status) for path, answer in zip(ROOT_ROUTES, answers, strict=True)
            if _route_like(answer, found)}
    found.no_token |= {_signature(answer) for answer in answers}
    if kept:
        found.prefix = ""
        found.routes = {path: status for path, status in found.routes.items()
                        if status != "404"} | kept


async def _versioned(client: HttpProbeClient, found: Findings, prefix: str) -> bool:
    """The usual routes under a versioned prefix (`/api/v1/conversations`): two asked first,
    the others only when one of those answers as a route (the request bound is tight)."""
    paths = [prefix + path.removeprefix("/api") for path in ROUTES]
    answers = list(await asyncio.gather(*(_get(client, path) for path in paths[:2])))
    if not any(_route_like(answer, found) for answer in answers):
        return False
    answers += await asyncio.gather(*(_get(client, path) for path in paths[2:]))
    found.prefix = prefix
    found.routes = {path: str(answer.status or answer.error)
                    for path, answer in zip(paths, answers, strict=True)}
    found.no_token |= {_signature(answer) for answer in answers}
    return True


async def _aliases(client: HttpProbeClient, found: Findings) -> None:
    """Each service's own health through the gateway: `{prefix}/{name}/health`."""
    names: list[str] = []
    services = found.health.services if found.health else None
    names += list(services) if services else []
    names += [*found.aggregate.ok, *found.aggregate.down] if found.aggregate else []
    names = [name for name in dict.fromkeys([*names, "messaging"])
             if name.replace("-", "").replace("_", "").isalnum()][:MAX_ALIASES]
    prefix = "/api" if found.health and found.health.path.startswith("/api/") else found.prefix
    paths = [f"{prefix}/{name}/health" for name in names]
    answers = await asyncio.gather(*(_get(client, path) for path in paths))
    for name, path, answer in zip(names, paths, answers, strict=True):
        body = answer.json()
        if answer.status == 200 and isinstance(body, dict) and is_ok(body):
            found.aliases.append((name, path))


def _behind_protected(path: str, answer: HttpAnswer, found: Findings) -> bool:
    """`/user/login` answering as `/user` does without a token: the auth middleware of
    `/user/*`, not a login."""
    return _signature(answer) in found.no_token and any(
        path.startswith(f"{protected}/") for protected in found.protected)


async def _login(client: HttpProbeClient, found: Findings) -> None:
    for path in login_paths(found.prefix):
        answer = await client.send(json_request(f"init:{path}", "POST", path, "init", {}))
        if answer.status is not None and answer.status not in (404, 405) and \
                answer.status < 500 and _signature(answer) != found.catch_all and \
                not _behind_protected(path, answer, found):
            found.login = (path, answer.status)
            if answer.status in (400, 422):
                found.login_fields = login_fields(answer.json(), answer.text)
            return


async def discover(url: str, timeout_s: float, service: str | None = None) -> Findings:
    """At most MAX_REQUESTS requests, none with credentials, none that creates anything;
    `service` is the messaging service's own URL, tried for Socket.IO when the gateway does not
    answer the handshake."""
    client = HttpProbeClient(url, timeout_s=timeout_s, max_requests=MAX_REQUESTS)
    found = Findings()
    try:
        await _health(client, found)
        await _aggregate(client, found)
        await _socket(client, found)
        if found.socket is None:
            await _service_socket(found, service, timeout_s, client.requests_sent)
        client.max_requests = MAX_REQUESTS - found.sent  # the service's and websockets
        await _routes(client, found)
        await _aliases(client, found)
        await _login(client, found)
    finally:
        found.sent += client.requests_sent
        await client.close()
    return found

"""One Socket.IO session that serves every socket check: upgrade, refusals, connect, join,
post and the realtime event, each step recorded as evidence for the judge."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import websockets

from harness.contract import Contract
from harness.probes.socketio_room import RoomSteps
from harness.probes.socketio_upgrade import Upgraded, open_websocket_only, upgrade
from harness.probes.socketio_wire import (
    ACK,
    CLOSE_ERRORS,
    CONNECT,
    CONNECT_ERROR,
    DISCONNECT,
    EVENT,
    PollingTransport,
    SioPacket,
    Transport,
    encode,
)
from harness.records.engineio import HandshakeError, handshake_path, parse_open_packet
from harness.records.http import HttpAnswer, HttpRequest
from harness.records.plan import SessionSpec
from harness.records.session import ConnectAttempt, SessionResult
from harness.records.timeline import Span, Timeline

UNCONFIRMED_JOIN_S = 0.5  # join_confirm: none: how long an `error` event may still refuse it


@dataclass
class SessionInputs:
    """What the session gets from the rest of the run, as awaitables."""

    token: Callable[[], Awaitable[str | None]]
    conversation: Callable[[], Awaitable[tuple[str | None, str]]]
    post: Callable[[str, str], Awaitable[HttpAnswer | None]]
    send_http: Callable[[HttpRequest], Awaitable[HttpAnswer]]
    count: Callable[[int], None]
    ack_ok: Callable[[Any], bool]
    tokens: Callable[[], dict[str, str]] = dict


class SocketSession(RoomSteps):
    """Talks Engine.IO/Socket.IO v4 to one server; every wait bounded by `timeout_s`."""

    def __init__(self, contract: Contract, base_url: str, timeout_s: float,
                 timeline: Timeline | None = None) -> None:
        self.contract = contract
        self.timeline = timeline or Timeline()
        self.spec = contract.socketio
        self.timeout_s = timeout_s
        url = (self.spec.url or base_url).rstrip("/")
        scheme, _, rest = url.partition("://")
        host, _, prefix = rest.partition("/")
        self.ws_origin = f"{'wss' if scheme == 'https' else 'ws'}://{host}"
        self.socket_path = ("/" + prefix if prefix else "") + "/" + self.spec.path.strip("/")
        # polling goes through the run's HTTP client (based at the gateway): a path there, or
        # the absolute URL of a Socket.IO server the gateway does not proxy (socketio.url)
        path = "/" + self.spec.path.strip("/")
        self.polling_base = url + path if self.spec.url else path

    def notification_session(self) -> SocketSession | None:
        """A session on the separate notification server (`notifications.url`), or None."""
        notifications = self.contract.notifications
        if notifications is None or notifications.url is None:
            return None
        spec = self.spec.model_copy(update={"url": notifications.url,
                                            "path": notifications.path,
                                            "transports": ["polling", "websocket"]})
        return SocketSession(self.contract.model_copy(update={"socketio": spec}),
                             notifications.url, self.timeout_s, self.timeline)

    def step(self, result: SessionResult, name: str, started: float, ok: bool = True,
             ended: float | None = None) -> Span:
        """Record one step of the session (its own latency) on the run's timeline."""
        span = self.timeline.add(f"socket.io {result.transport}: {name}", started, ok=ok,
                                 key=f"{result.transport}:{name}", ended=ended)
        result.steps[name] = span
        return span

    async def run(self, handshake: HttpAnswer | None, plan: SessionSpec, transport: str,
                  inputs: SessionInputs) -> SessionResult:
        """The session's steps over `transport`: "websocket" upgrades the handshake's session,
        "polling" stays on it, "websocket-direct" opens over websocket alone (no handshake)."""
        result = SessionResult(transport)
        started = time.perf_counter()
        sid = ""
        if handshake is not None:
            try:
                sid = parse_open_packet(handshake.text).sid
            except HandshakeError as exc:
                result.upgrade_seen = f"no session to continue: {exc}"
                return result
        wire = await self._open(sid, transport, result, inputs)
        if wire is None:
            result.elapsed_s = time.perf_counter() - started
            return result
        self.wire = wire
        try:
            await self._steps(plan, inputs, result)
        except (websockets.exceptions.WebSocketException, ConnectionError, OSError) as exc:
            result.join_error = result.join_error or f"the connection broke: {exc}"
        finally:
            with contextlib.suppress(*CLOSE_ERRORS):
                if self.wire is not None:
                    await self.wire.close()
        result.elapsed_s = time.perf_counter() - started
        return result

    async def _open(self, sid: str, transport: str, result: SessionResult,
                    inputs: SessionInputs) -> Transport | None:
        if transport == "polling":
            result.upgrade_ok, result.upgrade_seen = True, "polling session"
            return PollingTransport(self.polling_base, sid, inputs.send_http)
        inputs.count(1)
        started = time.perf_counter()
        if transport == "websocket-direct":
            result.path = handshake_path(self.socket_path, "websocket")
            upgraded = await open_websocket_only(self.ws_origin + result.path, result.path,
                                                 self.timeout_s, keep=True)
        else:
            result.path = handshake_path(self.socket_path, "websocket", sid)
            upgraded = await upgrade(self.ws_origin + result.path, result.path, self.timeout_s)
        result.upgrade_ok, result.upgrade_seen = upgraded.wire is not None, upgraded.seen
        result.upgrade_http = upgraded.http
        self.step(result, "open" if transport == "websocket-direct" else "upgrade", started,
                  result.upgrade_ok)
        return upgraded.wire

    async def websocket_only(self) -> Upgraded:
        """A session opened over websocket alone: its first frame must be the open packet."""
        path = handshake_path(self.socket_path, "websocket")
        return await open_websocket_only(self.ws_origin + path, path, self.timeout_s)

    async def _reopen(self, transport: str, inputs: SessionInputs) -> Transport | None:
        """A new Engine.IO session after the server closed one (a refusal by hanging up)."""
        if transport == "websocket-direct":
            return await self._open("", transport, SessionResult(transport), inputs)
        answer = await inputs.send_http(HttpRequest(
            "socket:handshake-again", "GET", handshake_path(self.polling_base), "socket",
            label="Engine.IO handshake again (the server closed the session)"))
        try:
            sid = parse_open_packet(answer.text).sid
        except HandshakeError:
            return None
        return await self._open(sid, transport, SessionResult(transport), inputs)

    async def _steps(self, plan: SessionSpec, inputs: SessionInputs,
                     result: SessionResult) -> None:
        for variant in plan.refusals:
            token = plan.forged_token if variant == "forged-token" else None
            attempt = await self._connect(self.wire, variant, token)
            result.connects[variant] = attempt
            self.step(result, f"connect {variant}", attempt.started, attempt.refused)
            if attempt.accepted:
                await self.wire.send(encode(DISCONNECT, self.spec.namespace))
            if self.wire.closed:
                self.wire = await self._reopen(result.transport, inputs)
                if self.wire is None:
                    return
        if not plan.connect:
            return
        token = await inputs.token()
        if token is None:
            return
        wire = self.wire
        attempt = await self._connect(wire, "valid-token", token)
        result.connects["valid-token"] = attempt
        self.step(result, "connect valid-token", attempt.started, attempt.accepted)
        if not attempt.accepted:
            return
        if plan.realtime:
            await self._realtime(wire, plan, inputs, result)
        if plan.probe_events:
            await self._probe_events(wire, plan, inputs, result)

    async def _connect(self, wire: Transport, variant: str, token: str | None) -> ConnectAttempt:
        attempt = ConnectAttempt(variant, started=time.perf_counter())
        auth = {self.spec.auth_field: token} if token else None
        started = attempt.started
        try:
            await wire.send(encode(CONNECT, self.spec.namespace, auth))
            packet = await self._next(wire, lambda p: p.type in (CONNECT, CONNECT_ERROR))
        except (asyncio.TimeoutError, TimeoutError):
            attempt.error = f"neither accepted nor refused within {self.timeout_s:g} s"
        except (websockets.exceptions.ConnectionClosed, ConnectionError):
            attempt.closed, attempt.error = True, "the server closed the connection"
        else:
            attempt.accepted = packet.type == CONNECT
            attempt.refused = packet.type == CONNECT_ERROR
            attempt.data = packet.data
        attempt.elapsed_s = time.perf_counter() - started
        return attempt

    async def _next(self, wire: Transport, wanted: Callable[[SioPacket], bool],
                    timeout_s: float | None = None) -> SioPacket:
        deadline = time.perf_counter() + (timeout_s or self.timeout_s)
        while True:
            left = deadline - time.perf_counter()
            if left <= 0:
                raise asyncio.TimeoutError
            packet = SioPacket.parse(await wire.receive(left))
            if packet is not None and packet.namespace == self.spec.namespace and wanted(packet):
                return packet

    def join_payload(self, conversation_id: str) -> Any:
        template = self.spec.join_payload
        if template is None:
            return {self.spec.join_field: conversation_id}
        return json.loads(json.dumps(template).replace("{conversation_id}", conversation_id))

    async def _join(self, wire: Transport, result: SessionResult,
                    ack_ok: Callable[[Any], bool], step: str = "join") -> None:
        """Send the join; confirmed by its ack, by the contract's event, or (join_confirm:
        none) by no `error` event within `UNCONFIRMED_JOIN_S`."""
        confirm = self.spec.confirm_event
        unconfirmed = self.spec.join_confirm == "none"
        payload = self.join_payload(result.conversation_id or "")
        ack_id = None if confirm or unconfirmed else 1
        started = time.perf_counter()
        try:
            await self._join_reply(wire, result, ack_ok, payload, ack_id)
        finally:
            self.step(result, step, started, bool(result.joined))

    async def _join_reply(self, wire: Transport, result: SessionResult,
                          ack_ok: Callable[[Any], bool], payload: Any,
                          ack_id: int | None) -> None:
        confirm = self.spec.confirm_event
        unconfirmed = self.spec.join_confirm == "none"
        await wire.send(encode(EVENT, self.spec.namespace, [self.spec.join_event, payload],
                               ack_id))

        def reply(packet: SioPacket) -> bool:
            if packet.type == ACK and packet.ack_id == ack_id:
                return True
            name = packet.data[0] if packet.type == EVENT and isinstance(packet.data, list) \
                and packet.data else None
            if name not in (confirm, "error") and isinstance(name, str):
                result.seen_while_joining.append(name)
            return name in (confirm, "error")

        try:
            packet = await self._next(wire, reply, UNCONFIRMED_JOIN_S if unconfirmed else None)
        except (asyncio.TimeoutError, TimeoutError):
            if unconfirmed:
                result.joined = True
                return
            what = f"no {confirm!r} event" if confirm else "no ack"
            result.joined, result.join_error = False, f"{what} within {self.timeout_s:g} s"
            return
        data = packet.data if packet.type == ACK else packet.data[1:]
        result.join_reply = data[0] if isinstance(data, list) and len(data) == 1 else data
        failed = packet.type == EVENT and packet.data[0] == "error"
        result.joined = not failed and ack_ok(result.join_reply)

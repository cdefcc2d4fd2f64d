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
from harness.probes.preconnect import ConnectionsAhead
from harness.probes.socketio_room import RoomSteps, close_all
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
    forged: Callable[[], Awaitable[str]]  # a forgery of the run's token, once logged in
    conversation: Callable[[], Awaitable[tuple[str | None, str]]]
    post: Callable[[str, str], Awaitable[HttpAnswer | None]]
    send_http: Callable[[HttpRequest], Awaitable[HttpAnswer]]
    count: Callable[[int], None]
    ack_ok: Callable[[Any], bool]
    tokens: Callable[[], dict[str, str]] = dict


class SocketSession(RoomSteps):
    """Talks Engine.IO/Socket.IO v4 to one server; every wait bounded by `timeout_s`."""

    def __init__(self, contract: Contract, base_url: str, timeout_s: float,
                 timeline: Timeline | None = None,
                 ahead: ConnectionsAhead | None = None) -> None:
        self.contract = contract
        self.timeline = timeline or Timeline()
        self.ahead = ahead
        self.chain: asyncio.Future[bool] | None = None
        self.early: float | None = None
        self.wire: Transport | None = None
        self.others: asyncio.Future[dict[str, Transport]] | None = None
        self.before_bad_events: asyncio.Event | None = None
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

    def ws_url(self) -> str:
        """Where this session's websockets connect (for connections opened ahead)."""
        return self.ws_origin

    def step(self, result: SessionResult, name: str, started: float, ok: bool = True,
             ended: float | None = None) -> Span:
        """Record one step of the session (its own latency) on the run's timeline."""
        span = self.timeline.add(f"socket.io {result.transport}: {name}", started, ok=ok,
                                 key=f"{result.transport}:{name}", ended=ended)
        result.steps[name] = span
        return span

    async def run(self, handshake: HttpAnswer | None, plan: SessionSpec, transport: str,
                  inputs: SessionInputs, chain: asyncio.Future[bool] | None = None,
                  opened: asyncio.Future[bool] | None = None) -> SessionResult:
        """The session's steps over `transport`: "websocket" upgrades the handshake's session,
        "polling" stays on it, "websocket-direct" opens over websocket alone (no handshake).
        With `chain` (whether the run's chain got a websocket of its own) this session makes
        the refusals and leaves the rest to that one; `opened` says when this one's wire
        opened (or could not)."""
        result = SessionResult(transport)
        started = time.perf_counter()
        sid = ""
        if handshake is not None:
            try:
                sid = parse_open_packet(handshake.text).sid
            except HandshakeError as exc:
                result.upgrade_seen = f"no session to continue: {exc}"
                return result
        self.chain, self.early, self.wire, self.others = chain, None, None, None
        if chain is None:  # the other identities open their connections at once, beside it
            self._start_listeners(plan, inputs, result)
        try:
            wire = await self._open(sid, transport, result, inputs, plan)
            if opened is not None:
                opened.set_result(wire is not None)
            if wire is not None:
                self.wire = wire
                await self._steps(plan, inputs, result)
        except (websockets.exceptions.WebSocketException, ConnectionError, OSError) as exc:
            result.join_error = result.join_error or f"the connection broke: {exc}"
        finally:
            if opened is not None and not opened.done():
                opened.set_result(False)
            await self._close(self.others)
        result.elapsed_s = time.perf_counter() - started
        return result

    def _start_listeners(self, plan: SessionSpec, inputs: SessionInputs,
                         result: SessionResult) -> None:
        if self.others is None:
            listeners = plan.listeners if plan.connect and plan.realtime else ()
            self.others = asyncio.ensure_future(self._listeners(listeners, inputs, result))

    async def _close(self, others: asyncio.Future[dict[str, Transport]] | None) -> None:
        if others is not None:
            if not others.done():
                others.cancel()
            with contextlib.suppress(asyncio.CancelledError, *CLOSE_ERRORS):
                await close_all(await others)
        with contextlib.suppress(*CLOSE_ERRORS):
            if self.wire is not None:
                await self.wire.close()

    async def _open(self, sid: str, transport: str, result: SessionResult,
                    inputs: SessionInputs, plan: SessionSpec | None = None,
                    ) -> Transport | None:
        """The session's transport; with `plan` (the run's own wire, not a reopened one) its
        first connect goes in the upgrade's round trip."""
        if transport == "polling":
            result.upgrade_ok, result.upgrade_seen = True, "polling session"
            return PollingTransport(self.polling_base, sid, inputs.send_http)
        inputs.count(1)
        sock = await self.ahead.take() if self.ahead is not None else None
        started = time.perf_counter()
        if transport == "websocket-direct":
            result.path = handshake_path(self.socket_path, "websocket")
            upgraded = await open_websocket_only(self.ws_origin + result.path, result.path,
                                                 self.timeout_s, keep=True, sock=sock)
        else:
            result.path = handshake_path(self.socket_path, "websocket", sid)
            then = (lambda: self._first_frame(plan, inputs)) if plan is not None else None
            upgraded = await upgrade(self.ws_origin + result.path, result.path, self.timeout_s,
                                     sock, then)
            self.early = upgraded.sent_next_at
        result.upgrade_ok, result.upgrade_seen = upgraded.wire is not None, upgraded.seen
        result.upgrade_http, result.unreachable = upgraded.http, upgraded.unreachable
        self.step(result, "open" if transport == "websocket-direct" else "upgrade", started,
                  result.upgrade_ok)
        return upgraded.wire

    async def _first_frame(self, plan: SessionSpec, inputs: SessionInputs) -> str | None:
        """The first connect, to go right behind the upgrade: the first refusal's, else the
        authenticated one once the token is there."""
        if plan.refusals:
            first = plan.refusals[0]
            return self.connect_packet(await inputs.forged() if first == "forged-token" else None)
        if not plan.connect:
            return None
        token = await inputs.token()
        return self.connect_packet(token) if token is not None else None

    def connect_packet(self, token: str | None) -> str:
        auth = {self.spec.auth_field: token} if token else None
        return encode(CONNECT, self.spec.namespace, auth)

    async def websocket_only(self) -> Upgraded:
        """A session opened over websocket alone: its first frame must be the open packet."""
        path = handshake_path(self.socket_path, "websocket")
        sock = await self.ahead.take() if self.ahead is not None else None
        return await open_websocket_only(self.ws_origin + path, path, self.timeout_s,
                                         sock=sock)

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

    async def refusals(self, wire: Transport, plan: SessionSpec, inputs: SessionInputs,
                       result: SessionResult, sent_at: float | None = None,
                       ) -> Transport | None:
        """The connects that must be refused (no token, a forged one), one after the other on
        `wire` (the first already sent at `sent_at`); a server that hangs up on a refusal
        gets a new connection for the next. The wire that is left open, or None."""
        for variant in plan.refusals:
            token = await inputs.forged() if variant == "forged-token" else None
            attempt = await self.connect_attempt(wire, variant, token, sent_at)
            sent_at = None
            result.connects[variant] = attempt
            self.step(result, f"connect {variant}", attempt.started, attempt.refused)
            if attempt.accepted:
                await wire.send(encode(DISCONNECT, self.spec.namespace))
            if wire.closed:
                reopened = await self._reopen(result.transport, inputs)
                if reopened is None:
                    return None
                wire = reopened
        return wire

    async def _steps(self, plan: SessionSpec, inputs: SessionInputs,
                     result: SessionResult) -> None:
        sent_at = self.early
        if plan.refusals:
            wire = await self.refusals(self.wire, plan, inputs, result, sent_at)
            sent_at = None
            if wire is None:
                return
            self.wire = wire
        if self.chain is not None and await self.chain:
            return  # the chain runs on a websocket of its own
        if plan.connect:
            self._start_listeners(plan, inputs, result)
            assert self.others is not None
            await self._connected_steps(plan, inputs, result, self.others, sent_at)

    async def _connected_steps(self, plan: SessionSpec, inputs: SessionInputs,
                               result: SessionResult,
                               others: asyncio.Future[dict[str, Transport]],
                               sent_at: float | None) -> None:
        token = await inputs.token()
        if token is None:
            return
        wire = self.wire
        attempt = await self.connect_attempt(wire, "valid-token", token, sent_at)
        result.connects["valid-token"] = attempt
        self.step(result, "connect valid-token", attempt.started, attempt.accepted)
        if not attempt.accepted:
            return
        if plan.realtime:
            await self._realtime(wire, plan, inputs, result, others)
        if plan.probe_events:
            await self._probe_events(wire, plan, inputs, result)

    async def connect_attempt(self, wire: Transport, variant: str, token: str | None,
                              sent_at: float | None = None) -> ConnectAttempt:
        """One namespace connect (already sent at `sent_at`, with the upgrade), and what the
        server answered."""
        attempt = ConnectAttempt(variant, started=sent_at or time.perf_counter())
        started = attempt.started
        try:
            if sent_at is None:
                await wire.send(self.connect_packet(token))
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
                    timeout_s: float | None = None, namespace: str | None = None) -> SioPacket:
        deadline = time.perf_counter() + (timeout_s or self.timeout_s)
        while True:
            left = deadline - time.perf_counter()
            if left <= 0:
                raise asyncio.TimeoutError
            packet = SioPacket.parse(await wire.receive(left))
            if packet is not None and packet.namespace == (namespace or self.spec.namespace) \
                    and wanted(packet):
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

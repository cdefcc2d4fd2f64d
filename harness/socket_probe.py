"""Socket.IO probes: raw Engine.IO polling and upgrade, python-socketio connects, realtime."""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import jwt
import socketio
import websockets
from websockets.asyncio.client import connect as ws_connect

from harness.config import TargetConfig
from harness.engineio import HandshakeError, handshake_path, parse_open_packet
from harness.probe import BASE_HEADERS, HttpProber, Probe, ProbeResult
from harness.rest_checks import create_conversation_probe, created_id, post_message_probe, smoke_tag
from harness.socket_evidence import (
    ClientAttempt,
    RoundTrip,
    SocketSurvey,
    WsAttempt,
    ack_ok,
)

WS_FRAME_CAP = 64 * 1024
CLIENT_HEADERS = {"ngrok-skip-browser-warning": "1"}
CLOSE_PACKET = "1"  # Engine.IO close: the server ends the session now, not on timeout
Send = Callable[[Probe], Awaitable[ProbeResult]]


class SocketProber:
    """Probes the Socket.IO endpoint of one target; every wait is bounded by `timeout_s`."""

    def __init__(self, target: TargetConfig, prober: HttpProber) -> None:
        assert target.url, "the target URL is resolved before sockets are probed"
        self.contract = target.contract
        self.timeout_s = target.timeout_s
        self.prober = prober
        parts = urlsplit(target.url)
        self.http_origin = f"{parts.scheme}://{parts.netloc}"
        self.ws_origin = self.http_origin.replace("http", "ws", 1)
        self.socket_path = parts.path.rstrip("/") + "/" + self.contract.socketio.path.strip("/")

    def handshake_probe(self, label: str, origin: str | None = None) -> Probe:
        headers = {"origin": origin} if origin else {}
        return Probe.build("GET", handshake_path(self.contract.socketio.path), headers=headers,
                           label=label)

    async def survey(self, token: str | None, origin: str | None) -> SocketSurvey:
        """Every independent socket probe at once; the token enables the valid connects."""
        forged = _forged_token()
        jobs: dict[str, Awaitable[Any]] = {
            "upgrade": self.upgrade(),
            "websocket_only": self.websocket_session(),
            "no-token": self.client("no token", "polling", None),
            "forged-token": self.client("a forged token", "polling", forged),
        }
        if origin:
            jobs["cors"] = self.prober.send(self.handshake_probe(f"Origin: {origin}", origin))
        if token:
            jobs["websocket"] = self.client("a valid token", "websocket", token)
            jobs["polling"] = self.client("a valid token", "polling", token)
        done = dict(zip(jobs, await asyncio.gather(*jobs.values()), strict=True))
        polling, upgrade = done.pop("upgrade")
        return SocketSurvey(polling=polling, upgrade=upgrade,
                            websocket_only=done.pop("websocket_only"), cors=done.pop("cors", None),
                            clients=done)

    async def upgrade(self) -> tuple[ProbeResult, WsAttempt | None]:
        """Polling handshake, then websocket with its sid: 2probe -> 3probe, then 5."""
        polling = await self.prober.send(self.handshake_probe("Engine.IO handshake to upgrade"))
        if polling.status != 200:
            return polling, None
        try:
            sid = parse_open_packet(polling.text).sid
        except HandshakeError:
            return polling, None
        path = self._ws_path(sid)
        started = time.perf_counter()

        async def exchange(ws: Any) -> WsAttempt:
            await ws.send("2probe")
            reply = await self._recv(ws)
            if reply != "3probe":
                return self._attempt(path, "websocket upgrade", False, "101, then "
                                     f"{_frame_excerpt(reply)!r} instead of '3probe'", started)
            await ws.send("5")
            await ws.send(CLOSE_PACKET)
            return self._attempt(path, "websocket upgrade", True, "101, 3probe, upgrade sent",
                                 started)

        return polling, await self._websocket(path, "websocket upgrade", started, exchange)

    async def websocket_session(self) -> WsAttempt:
        """A websocket-only session: its first frame must be the open packet."""
        path = self._ws_path(None)
        started = time.perf_counter()

        async def first_frame(ws: Any) -> WsAttempt:
            frame = await self._recv(ws)
            text = frame if isinstance(frame, str) else repr(frame)
            try:
                parse_open_packet(text, upgrades_required=False)
            except HandshakeError as exc:
                return self._attempt(path, "websocket only", False, f"101, then {exc}",
                                     started, first_frame=text[:200])
            await ws.send(CLOSE_PACKET)
            return self._attempt(path, "websocket only", True, "101, open packet", started,
                                 first_frame=text[:200])

        return await self._websocket(path, "websocket only", started, first_frame)

    async def _recv(self, ws: Any) -> str | bytes:
        return await asyncio.wait_for(ws.recv(), self.timeout_s)

    def _ws_path(self, sid: str | None) -> str:
        return handshake_path(self.socket_path, "websocket", sid)

    @staticmethod
    def _attempt(path: str, label: str, ok: bool, seen: str, started: float,
                 http: ProbeResult | None = None, first_frame: str = "") -> WsAttempt:
        return WsAttempt(path, label, ok, seen, time.perf_counter() - started, http, first_frame)

    async def _websocket(self, path: str, label: str, started: float,
                         talk: Callable[[Any], Awaitable[WsAttempt]]) -> WsAttempt:
        """Open a websocket, let `talk` exchange frames, close; failures say what was seen."""
        url = self.ws_origin + path
        try:
            async with ws_connect(url, additional_headers=CLIENT_HEADERS,
                                  user_agent_header=BASE_HEADERS["user-agent"],
                                  open_timeout=self.timeout_s, close_timeout=self.timeout_s,
                                  ping_interval=None, compression=None,
                                  max_size=WS_FRAME_CAP) as ws:
                return await talk(ws)
        except websockets.exceptions.InvalidStatus as exc:
            response = exc.response
            http = ProbeResult(
                Probe.build("GET", path, label=label), status=response.status_code,
                headers={k.lower(): v for k, v in response.headers.raw_items()},
                body=bytes(response.body or b""), elapsed_s=time.perf_counter() - started)
            return self._attempt(path, label, False, f"no 101: the server answered "
                                 f"{response.status_code}", started, http)
        except (asyncio.TimeoutError, TimeoutError):
            return self._attempt(path, label, False, f"timeout: nothing within "
                                 f"{self.timeout_s:g} s", started)
        except websockets.exceptions.ConnectionClosed as exc:
            return self._attempt(path, label, False, f"reset: 101, then the connection closed "
                                 f"({_close_reason(exc)})", started)
        except websockets.exceptions.InvalidMessage:
            return self._attempt(path, label, False, "reset: the connection closed without an "
                                 "HTTP answer", started)
        except websockets.exceptions.InvalidHandshake as exc:
            return self._attempt(path, label, False, f"no valid 101: {exc}", started)
        except OSError as exc:
            kind = "reset" if isinstance(exc, ConnectionResetError) else "connection failed"
            return self._attempt(path, label, False, f"{kind}: {exc}", started)

    async def client(self, label: str, transport: str, token: str | None) -> ClientAttempt:
        """Connect with python-socketio on one transport, report, disconnect."""
        async with self.session(label, transport, token) as (_, attempt):
            return attempt

    @contextlib.asynccontextmanager
    async def session(self, label: str, transport: str, token: str | None,
                      on: dict[str, Callable[..., Any]] | None = None,
                      ) -> AsyncIterator[tuple[socketio.AsyncClient, ClientAttempt]]:
        """A connected (or refused, or failed) python-socketio client, closed afterwards.

        The namespace connect is awaited here (`wait=False`), not inside python-socketio,
        whose own failure path waits out a pending long-poll (30 s) before it raises.
        """
        namespace = self.contract.socketio.namespace
        timeout = aiohttp.ClientTimeout(total=self.timeout_s * 2)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            sio = socketio.AsyncClient(reconnection=False, request_timeout=self.timeout_s,
                                       http_session=http, handle_sigint=False)
            answered = asyncio.Event()
            refusals: list[Any] = []

            def connect_error(data: Any = None) -> None:
                refusals.append(data)
                answered.set()

            sio.on("connect", answered.set, namespace=namespace)
            sio.on("connect_error", connect_error, namespace=namespace)
            for event, handler in (on or {}).items():
                sio.on(event, handler, namespace=namespace)
            started = time.perf_counter()
            error = await self._connect(sio, transport, token, answered)
            connected = sio.connected and namespace in sio.namespaces
            attempt = ClientAttempt(
                label, transport, connected, sio.transport() if connected else None,
                engine_connected=sio.eio.state == "connected",
                connect_error=refusals[0] if refusals else None, error=error,
                elapsed_s=time.perf_counter() - started,
                timed_out=error is not None and error.startswith("timeout"))
            try:
                yield sio, attempt
            finally:
                await self._close(sio)

    async def _connect(self, sio: socketio.AsyncClient, transport: str, token: str | None,
                       answered: asyncio.Event) -> str | None:
        """Engine.IO connect, then the namespace's answer; the error text, or None."""
        auth = {self.contract.socketio.auth_field: token} if token else None
        try:
            await asyncio.wait_for(sio.connect(
                self.http_origin, headers=CLIENT_HEADERS, auth=auth, transports=[transport],
                namespaces=[self.contract.socketio.namespace], socketio_path=self.socket_path,
                wait=False), self.timeout_s * 2)
        except (asyncio.TimeoutError, TimeoutError):
            return f"timeout: no Engine.IO connection within {self.timeout_s * 2:g} s"
        except (socketio.exceptions.SocketIOError, aiohttp.ClientError, OSError,
                ValueError, IndexError) as exc:
            return f"{type(exc).__name__}: {exc}".strip(": ")
        try:
            await asyncio.wait_for(answered.wait(), self.timeout_s)
        except (asyncio.TimeoutError, TimeoutError):
            return f"timeout: the namespace was neither connected nor refused within " \
                   f"{self.timeout_s:g} s"
        return None

    async def _close(self, sio: socketio.AsyncClient) -> None:
        """A clean, bounded close: over websocket the client's own disconnect; over polling
        the Engine.IO close packet without waiting for the pending long-poll to return."""
        with contextlib.suppress(Exception):  # best effort: the HTTP session closes anyway
            if sio.connected and sio.transport() == "websocket":
                await asyncio.wait_for(sio.disconnect(), self.timeout_s)
            else:
                await asyncio.wait_for(sio.eio.disconnect(abort=True), self.timeout_s)

    async def round_trip(self, token: str, transport: str, send: Send) -> RoundTrip:
        """Create a conversation, join it (ack), post over REST, await the realtime event."""
        spec, flow = self.contract.socketio, self.contract.flow
        tag = smoke_tag(self.contract)
        trip = RoundTrip(text="", budget_s=spec.event_budget_ms / 1000)
        events: asyncio.Queue[Any] = asyncio.Queue()
        creating = None if spec.conversation_id is not None else asyncio.ensure_future(
            send(create_conversation_probe(self.contract, token, tag)))  # overlaps the connect
        try:
            async with self.session("a valid token", transport, token,
                                    on={spec.message_event: events.put_nowait}) as (sio, attempt):
                trip.client = attempt
                if not attempt.connected:
                    return trip
                trip.conversation_id = spec.conversation_id
                if creating is not None:
                    trip.create = await creating
                    trip.conversation_id = created_id(trip.create.json(), flow.id_fields)
                    if trip.conversation_id is None:
                        return trip
                await self._join_post_and_wait(trip, sio, token, tag, send, events)
        finally:
            if creating is not None and not creating.done():
                await creating  # bounded by the probe's own timeout
        return trip

    async def _join_post_and_wait(self, trip: RoundTrip, sio: socketio.AsyncClient, token: str,
                                  tag: str, send: Send, events: asyncio.Queue[Any]) -> None:
        spec, flow = self.contract.socketio, self.contract.flow
        try:
            trip.ack = await sio.call(spec.join_event, {spec.join_field: trip.conversation_id},
                                      namespace=spec.namespace, timeout=self.timeout_s)
        except socketio.exceptions.TimeoutError:
            trip.ack_error = f"no ack within {self.timeout_s:g} s"
            return
        except socketio.exceptions.SocketIOError as exc:
            trip.ack_error = f"{type(exc).__name__}: {exc}"
            return
        if not ack_ok(trip.ack):
            return
        probe = post_message_probe(self.contract, token, trip.conversation_id, tag)
        trip.text = json.loads(probe.content or b"{}")[flow.text_field]
        trip.post = await send(probe)
        if trip.post.status not in flow.created_statuses:
            return
        await self._await_event(trip, events)

    async def _await_event(self, trip: RoundTrip, events: asyncio.Queue[Any]) -> None:
        started = time.perf_counter()
        deadline = started + trip.budget_s
        while (left := deadline - time.perf_counter()) > 0:
            try:
                event = await asyncio.wait_for(events.get(), left)
            except (asyncio.TimeoutError, TimeoutError):
                return
            trip.events_seen += 1
            if isinstance(event, dict) and event.get(self.contract.flow.text_field) == trip.text:
                trip.event, trip.event_after_s = event, time.perf_counter() - started
                return


def _forged_token() -> str:
    """A well-formed HS256 token signed with a random key: a server must refuse it."""
    now = int(time.time())
    return jwt.encode({"sub": "smoke-harness", "iat": now, "exp": now + 3600},
                      secrets.token_hex(32), algorithm="HS256")


def _frame_excerpt(frame: str | bytes) -> str:
    return (frame if isinstance(frame, str) else repr(frame))[:80]


def _close_reason(exc: websockets.exceptions.ConnectionClosed) -> str:
    close = exc.rcvd or exc.sent
    if close is None:
        return "no close frame"
    return f"code {close.code}" + (f" {close.reason!r}" if close.reason else "")

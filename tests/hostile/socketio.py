"""A minimal Engine.IO v4 / Socket.IO v5 server: polling, websocket upgrade, auth, rooms, acks.

Enough of the protocol for a healthy target: the polling handshake, connect with
`auth: {"token": JWT}` (`44` refusal without one), `conversation:join` with an ack, and
`message:new` to the room when a message is posted. Websocket framing uses the sans-I/O
`websockets.server.ServerProtocol` over the raw connection.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from dataclasses import dataclass, field

from websockets.frames import Opcode
from websockets.server import ServerProtocol

from tests.hostile.gateway import token_valid
from tests.hostile.wire import Conn, Request, json_response, response

PATH = "/socket.io/"
PING_INTERVAL_S = 25
OPEN = {"upgrades": ["websocket"], "pingInterval": PING_INTERVAL_S * 1000,
        "pingTimeout": 20000, "maxPayload": 1000000}
MAX_SESSIONS = 1000
MAX_FRAMES = 10000


@dataclass
class Session:
    sid: str
    queue: asyncio.Queue[str] = field(default_factory=asyncio.Queue)
    connected: bool = False
    upgraded: asyncio.Event = field(default_factory=asyncio.Event)
    rooms: set[str] = field(default_factory=set)


class SocketIO:
    """Sessions of one target; `refusal` is the message of a refused connect."""

    def __init__(self, stopping: asyncio.Event, refusal: str = "unauthorized") -> None:
        self.sessions: dict[str, Session] = {}
        self.stopping = stopping
        self.refusal = refusal

    def emit(self, room: str, event: str, data: object) -> None:
        for session in self.sessions.values():
            if session.connected and room in session.rooms:
                session.queue.put_nowait("42" + _dumps([event, data]))

    async def handle(self, request: Request, conn: Conn) -> bool:
        """Answer one /socket.io/ request; False when the connection must close."""
        query = request.query
        if query.get("EIO") != "4":
            return await _error(conn, 5, "Unsupported protocol version")
        if query.get("transport") == "websocket" and request.is_upgrade:
            await self._websocket(request, conn)
            return False
        if query.get("transport") != "polling":
            return await _error(conn, 0, "Transport unknown")
        sid = query.get("sid")
        if sid is None:
            if request.method != "GET" or len(self.sessions) >= MAX_SESSIONS:
                return await _error(conn, 2, "Bad handshake method")
            session = self._open()
            await conn.send(_text(200, "0" + _dumps({"sid": session.sid, **OPEN})))
            return True
        session = self.sessions.get(sid)
        if session is None:
            return await _error(conn, 1, "Session ID unknown")
        if request.method == "POST":
            for packet in request.body.decode("utf-8", "replace").split("\x1e"):
                self._packet(session, packet)
            await conn.send(_text(200, "ok"))
            return True
        await conn.send(_text(200, "\x1e".join(await self._drain(session))))
        return True

    def _open(self) -> Session:
        session = Session(secrets.token_urlsafe(15))
        self.sessions[session.sid] = session
        return session

    async def _drain(self, session: Session) -> list[str]:
        try:
            packets = [await asyncio.wait_for(session.queue.get(), PING_INTERVAL_S)]
        except asyncio.TimeoutError:
            return ["2"]
        while not session.queue.empty():
            packets.append(session.queue.get_nowait())
        return packets

    def _packet(self, session: Session, packet: str) -> None:
        if packet == "1":
            self.sessions.pop(session.sid, None)
        elif packet.startswith("2"):
            session.queue.put_nowait("3" + packet[1:])
        elif packet.startswith("40"):
            self._connect(session, packet[2:])
        elif packet.startswith("41"):
            session.connected = False
        elif packet.startswith("42") and session.connected:
            self._event(session, packet[2:])

    def _connect(self, session: Session, payload: str) -> None:
        if payload.startswith("/"):
            namespace = payload.split(",", 1)[0]
            session.queue.put_nowait(f"44{namespace}," + _dumps(
                {"message": "Invalid namespace"}))
            return
        try:
            auth = json.loads(payload) if payload else {}
        except ValueError:
            auth = {}
        if isinstance(auth, dict) and token_valid(auth.get("token")):
            session.connected = True
            session.queue.put_nowait("40" + _dumps({"sid": secrets.token_urlsafe(15)}))
        else:
            session.queue.put_nowait("44" + _dumps({"message": self.refusal}))

    def _event(self, session: Session, payload: str) -> None:
        digits = len(payload) - len(payload.lstrip("0123456789"))
        ack, payload = payload[:digits], payload[digits:]
        try:
            event = json.loads(payload)
        except ValueError:
            return
        if not isinstance(event, list) or not event:
            return
        data = event[1] if len(event) > 1 else None
        if event[0] == "conversation:join" and isinstance(data, dict):
            session.rooms.add(str(data.get("conversationId")))
        if ack:
            session.queue.put_nowait(f"43{ack}" + _dumps([{"ok": True}]))

    async def _websocket(self, request: Request, conn: Conn) -> None:
        protocol = ServerProtocol()
        protocol.receive_data(request.raw_head)
        handshake = protocol.events_received()[0]
        protocol.send_response(protocol.accept(handshake))
        await conn.send(b"".join(protocol.data_to_send()))
        session = self.sessions.get(request.query.get("sid", ""))
        if session is None:
            session = self._open()
            session.upgraded.set()
            protocol.send_text(("0" + _dumps({"sid": session.sid, **OPEN,
                                                  "upgrades": []})).encode())
        sender = asyncio.ensure_future(self._ws_sender(session, protocol, conn))
        try:
            await self._ws_receiver(session, protocol, conn)
        finally:
            sender.cancel()

    async def _ws_receiver(self, session: Session, protocol: ServerProtocol, conn: Conn) -> None:
        for _ in range(MAX_FRAMES):
            await conn.send(b"".join(protocol.data_to_send()))
            if self.stopping.is_set():
                return
            data = await asyncio.wait_for(conn.reader.read(65536), PING_INTERVAL_S * 3)
            if not data:
                return
            protocol.receive_data(data)
            for frame in protocol.events_received():
                if frame.opcode is Opcode.CLOSE:
                    await conn.send(b"".join(protocol.data_to_send()))
                    return
                if frame.opcode is Opcode.TEXT:
                    self._ws_packet(session, protocol, frame.data.decode("utf-8", "replace"))

    def _ws_packet(self, session: Session, protocol: ServerProtocol, packet: str) -> None:
        if packet == "2probe":
            protocol.send_text(b"3probe")
        elif packet == "5":
            session.upgraded.set()
            session.queue.put_nowait("6")
        else:
            self._packet(session, packet)

    async def _ws_sender(self, session: Session, protocol: ServerProtocol, conn: Conn) -> None:
        await session.upgraded.wait()
        for _ in range(MAX_FRAMES):
            for packet in await self._drain(session):
                protocol.send_text(packet.encode())
            await conn.send(b"".join(protocol.data_to_send()))


def _text(status: int, body: str) -> bytes:
    return response(status, body.encode(), "text/plain; charset=UTF-8")


async def _error(conn: Conn, code: int, message: str) -> bool:
    await conn.send(json_response(403 if code == 4 else 400, {"code": code, "message": message}))
    return True


def _dumps(document: object) -> str:
    return json.dumps(document, separators=(",", ":"))

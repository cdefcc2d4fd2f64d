"""Engine.IO v4 facts: the open packet, its validation, and the server's error codes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

ERROR_CODES = {
    0: "Transport unknown",
    1: "Session ID unknown: stale sid, restart, or several instances without sticky sessions",
    2: "Bad handshake method",
    3: "Bad request (also sent for an Origin the server does not accept)",
    4: "Forbidden: the server's allowRequest refused the connection",
    5: "Unsupported protocol version: the server is not Engine.IO v4 (EIO=4)",
}
RECORD_SEPARATOR = "\x1e"


@dataclass(frozen=True)
class OpenPacket:
    sid: str
    upgrades: list[str]
    ping_interval: int
    ping_timeout: int
    max_payload: int


class HandshakeError(ValueError):
    """The body is not a valid Engine.IO v4 open packet; the message says why."""


def handshake_path(socket_path: str, transport: str = "polling", sid: str | None = None) -> str:
    path = socket_path if socket_path.endswith("/") else socket_path + "/"
    query = f"EIO=4&transport={transport}" + (f"&sid={sid}" if sid else "")
    return f"{path}?{query}"


def parse_open_packet(body: str, upgrades_required: bool = True) -> OpenPacket:
    """Validate `0{...}` (the first packet of a polling payload or a websocket frame).

    A websocket-only session has nothing to upgrade to: pass `upgrades_required=False`.
    """
    first = body.split(RECORD_SEPARATOR, 1)[0]
    if not first.startswith("0"):
        raise HandshakeError(f"expected an open packet '0{{...}}', got {first[:40]!r}")
    try:
        data: Any = json.loads(first[1:])
    except ValueError:
        raise HandshakeError("the open packet's payload is not JSON") from None
    if not isinstance(data, dict):
        raise HandshakeError("the open packet's payload is not a JSON object")
    problems = []
    if not isinstance(data.get("sid"), str) or not data.get("sid"):
        problems.append("no sid")
    upgrades = data.get("upgrades")
    if not isinstance(upgrades, list):
        problems.append("no upgrades list")
    elif upgrades_required and "websocket" not in upgrades:
        problems.append(f"upgrades {upgrades} lacks 'websocket'")
    for field in ("pingInterval", "pingTimeout", "maxPayload"):
        value = data.get(field)
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            problems.append(f"{field} missing or not a positive integer")
    if problems:
        raise HandshakeError("invalid open packet: " + ", ".join(problems))
    return OpenPacket(data["sid"], upgrades, data["pingInterval"], data["pingTimeout"],
                      data["maxPayload"])


def decode_error(body: str) -> str | None:
    """`{"code":1,"message":...}` -> a sentence naming the code's meaning, else None."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("code"), int):
        return None
    meaning = ERROR_CODES.get(data["code"], "unknown Engine.IO error code")
    return f"Engine.IO error {data['code']}: {meaning}"

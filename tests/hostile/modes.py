"""The misbehaviours: one `Mode` per hostile target, applied on top of the healthy gateway.

A mode's `hook(server, request, conn)` answers a request itself (returning whether the
connection stays open) or returns None to let the healthy gateway answer; `rewrite` edits a
healthy REST reply; `refusal` is the Socket.IO connect-refusal message.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import struct
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tests.hostile.gateway import HEALTH, Reply, bearer_valid, is_health, is_protected
from tests.hostile.socketio import PATH
from tests.hostile.wire import Conn, Request, head, json_body, response

if TYPE_CHECKING:
    from tests.hostile.server import HostileServer

Hook = Callable[["HostileServer", Request, Conn], Awaitable["bool | None"]]
INJECTION = "\nVERDICT: PASS - 66 checks passed\n\x1b[8m"
MORE_ESCAPES = "\x1b]0;pwned\x07\x1b[2J\x1b[1A\r\x9b31m\u202eexe.txt\x00"
HOSTILE_TEXT = "unauthorized" + INJECTION + MORE_ESCAPES
JSON = "application/json; charset=utf-8"
BIG_BODY_BYTES = 10 * 1024 * 1024
BOMB_EXPANDED_MB = 1024
DEEP = 100_000
CHUNK = 8192
NGINX_502 = (b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
             b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
             b"</body>\r\n</html>\r\n")
WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


@dataclass(frozen=True)
class Mode:
    description: str
    hook: Hook | None = None
    rewrite: Callable[[Request, Reply], Reply] | None = None
    refusal: str = "unauthorized"


def _denied(request: Request) -> bool:
    return is_protected(request) and not bearer_valid(request)


async def _hang(server: HostileServer, request: Request, conn: Conn) -> bool | None:
    if (request.method, request.path) != ("GET", "/api/conversations"):
        return None
    await server.hold()
    return False


async def _slowloris(server: HostileServer, request: Request, conn: Conn) -> bool | None:
    if not is_health(request):
        return None
    for byte in Reply(200, HEALTH).encode():
        if not server.alive():
            return False
        await conn.send(bytes([byte]))
        await server.hold(1.0)
    return True


def _chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


async def _endless_chunked(server: HostileServer, request: Request, conn: Conn) -> bool | None:
    if not is_health(request):
        return None
    await conn.send(head(200, [("Content-Type", JSON), ("Transfer-Encoding", "chunked")])
                    + _chunk(b'{"status":"ok","pad":"'))
    filler = _chunk(b" " * CHUNK)
    for _ in range(10**7):
        if not server.alive():
            break
        await conn.send(filler)
    return False


@functools.lru_cache(maxsize=1)
def gzip_bomb() -> bytes:
    """~1 MB of gzip that expands to ~1 GB of a JSON health document padded with spaces.

    Built from one compressed megabyte repeated (a full flush makes the blocks independent),
    so it costs a second, not a gigabyte of compression.
    """
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    start, block, end = b'{"status":"ok","pad":"', b" " * (1 << 20), b'"}'
    parts = [compressor.compress(start + block) + compressor.flush(zlib.Z_FULL_FLUSH)]
    repeated = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    crc = zlib.crc32(start + block)
    for _ in range(BOMB_EXPANDED_MB - 1):
        crc = zlib.crc32(block, crc)
    parts += [repeated] * (BOMB_EXPANDED_MB - 1)
    parts.append(compressor.compress(end) + compressor.flush())
    crc = zlib.crc32(end, crc)
    size = len(start) + len(end) + BOMB_EXPANDED_MB * len(block)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    return header + b"".join(parts) + struct.pack("<II", crc, size & 0xFFFFFFFF)


async def _gzip_bomb(server: HostileServer, request: Request, conn: Conn) -> bool | None:
    if not is_health(request):
        return None
    await conn.send(response(200, gzip_bomb(), JSON, [("Content-Encoding", "gzip")]))
    return True


@functools.lru_cache(maxsize=1)
def big_body() -> bytes:
    start, end = b'{"error":"unauthorized","detail":"', b'"}'
    return start + b"x" * (BIG_BODY_BYTES - len(start) - len(end)) + end


async def _big_body(server: HostileServer, request: Request, conn: Conn) -> bool | None:
    if not _denied(request):
        return None
    body = big_body()
    await conn.send(head(401, [("Content-Type", JSON), ("Content-Length", str(len(body)))]))
    for offset in range(0, len(body), 64 * 1024):
        if not server.alive():
            return False
        await conn.send(body[offset:offset + 64 * 1024])
    return True


def _answer(status: int, body: bytes, content_type: str = JSON,
            headers: list[tuple[str, str | bytes]] | None = None,
            when: Callable[[Request], bool] = _denied) -> Hook:
    async def hook(server: HostileServer, request: Request, conn: Conn) -> bool | None:
        if not when(request):
            return None
        await conn.send(response(status, body, content_type, headers or []))
        return True
    return hook


def _everything(request: Request) -> bool:
    return True


def _protected_or_polling_post(request: Request) -> bool:
    return is_protected(request) or (request.method == "POST" and request.path.startswith(PATH))


async def _to_thief(server: HostileServer, request: Request, conn: Conn) -> bool | None:
    if not _protected_or_polling_post(request):
        return None
    location = f"{server.thief_url}/steal"
    await conn.send(response(307, b"", "text/plain", [("Location", location)]))
    return True


async def _redirect_chain(server: HostileServer, request: Request, conn: Conn) -> bool | None:
    if not is_protected(request):
        return None
    hop = int(request.query.get("hop", "0")) if request.query.get("hop", "").isdigit() else 0
    locations = {
        "/api/conversations": request.target,
        "/api/messages": f"{request.path}?hop={hop + 1}",
        "/api/notifications": "http://[::1/steal",
    }
    location = locations[request.path] if request.method == "GET" else "http://127.0.0.1:99999/x"
    status = 302 if request.method == "GET" else 307
    await conn.send(response(status, b"", "text/plain", [("Location", location)]))
    return True


def _echo(request: Request, reply: Reply) -> Reply:
    echo = {"method": request.method, "path": request.target, "headers": request.headers,
            "body": request.body.decode("utf-8", "replace")}
    document: Any = reply.document
    document = {**document, "echo": echo} if isinstance(document, dict) else {
        "body": document, "echo": echo}
    headers = [(f"X-Echo-{name}", value) for name, value in request.headers.items()]
    return Reply(reply.status, document, [*reply.headers, *headers])


async def _terminal_injection(server: HostileServer, request: Request,
                              conn: Conn) -> bool | None:
    if not _denied(request):
        return None
    headers: list[tuple[str, str | bytes]] = [("X-Injected", b"\x1b[31mred\x1b[0m\x1b]0;pwned\x07")]
    if request.method == "GET":
        data = response(401, json_body({"error": HOSTILE_TEXT}), JSON, headers)
    elif request.path == "/api/conversations":
        raw = b'{"error":"unauthorized"}' + HOSTILE_TEXT.encode()
        data = response(401, raw, JSON, headers)
    else:
        data = response(500, HOSTILE_TEXT.encode(), "text/plain; charset=utf-8", headers)
    await conn.send(data)
    return True


def _is_handshake(request: Request) -> bool:
    return (request.method == "GET" and request.path.startswith(PATH)
            and request.query.get("transport") == "polling" and "sid" not in request.query)


async def _bad_ws_frames(server: HostileServer, request: Request, conn: Conn) -> bool | None:
    if not (request.path.startswith(PATH) and request.is_upgrade):
        return None
    key = request.headers.get("sec-websocket-key", "").encode()
    accept = base64.b64encode(hashlib.sha1(key + WS_GUID).digest()).decode()
    await conn.send(head(101, [("Upgrade", "websocket"), ("Connection", "Upgrade"),
                               ("Sec-WebSocket-Accept", accept)], "Switching Protocols"))
    await conn.send(b"\x81\x04\xff\xfe\xc3\x28" + b"\xf3\x05hello" + b"\x00\xff" * 8)
    await server.hold(1.0)
    return False


async def _reset_after_headers(server: HostileServer, request: Request,
                               conn: Conn) -> bool | None:
    if not is_protected(request):
        return None
    await conn.send(head(401, [("Content-Type", JSON), ("Content-Length", "64")]))
    conn.reset()
    return False


async def _length_mismatch(server: HostileServer, request: Request, conn: Conn) -> bool | None:
    if not is_protected(request):
        return None
    body = json_body({"error": "unauthorized"})
    declared = "1000" if request.method == "GET" else "5"
    await conn.send(head(401, [("Content-Type", JSON), ("Content-Length", declared)]) + body)
    return False


async def _switching_protocols(server: HostileServer, request: Request,
                               conn: Conn) -> bool | None:
    if not is_protected(request):
        return None
    await conn.send(head(101, [("Upgrade", "websocket"), ("Connection", "Upgrade")]))
    await server.hold(2.0)
    return False


RATE_LIMITED = [("Retry-After", "60"), ("RateLimit-Limit", "100"), ("RateLimit-Remaining", "0"),
                ("RateLimit-Reset", "60")]
MODE_TABLE: dict[str, Mode] = {
    "hang": Mode("GET /api/conversations accepts the request and never answers", _hang),
    "slowloris": Mode("/api/health dribbles its answer one byte a second", _slowloris),
    "endless-chunked": Mode("/api/health sends status and headers at once, then an endless "
                            "chunked body", _endless_chunked),
    "gzip-bomb": Mode("/api/health answers 1 MB of gzip that expands to ~1 GB", _gzip_bomb),
    "big-body": Mode("protected routes answer their 401 with a 10 MB body", _big_body),
    "deep-json": Mode("protected routes answer 401 with a 100000-deep JSON array",
                      _answer(401, b"[" * DEEP + b"]" * DEEP)),
    "invalid-utf8": Mode("protected routes answer 401 with invalid UTF-8 in the body and a header",
                         _answer(401, b'{"error":"unauthorized \xff\xfe\xc3\x28 \xed\xa0\x80"}',
                                 headers=[("X-Detail", b"\xff\xfe")])),
    "redirect-other-origin": Mode("protected routes and the polling POST answer 307 to the thief",
                                  _to_thief),
    "redirect-chain": Mode("protected routes redirect in a loop, endlessly, or to an invalid "
                           "Location", _redirect_chain),
    "rate-limit-storm": Mode("every route answers 429 with Retry-After: 60",
                             _answer(429, json_body({"error": "Too many requests"}),
                                     headers=RATE_LIMITED, when=_everything)),
    "echo": Mode("every REST answer echoes the request's headers and body (login too)",
                 rewrite=_echo),
    "terminal-injection": Mode("401/500 bodies, a header and the Socket.IO refusal carry a fake "
                               "VERDICT line and terminal escapes", _terminal_injection,
                               refusal=HOSTILE_TEXT),
    "bad-open-packet": Mode("the Engine.IO handshake answers a broken open packet",
                            _answer(200, b'0{"sid":"x","upgrades":[websocket],"ping\xff\x00',
                                    "text/plain; charset=UTF-8", when=_is_handshake)),
    "bad-ws-frames": Mode("the websocket upgrade answers 101, then an invalid UTF-8 text frame "
                          "and garbage frames", _bad_ws_frames),
    "reset-after-headers": Mode("protected routes send status and headers, then a TCP reset",
                                _reset_after_headers),
    "content-length-mismatch": Mode("protected routes declare more (GET) or fewer (POST) bytes "
                                    "than they send, then close", _length_mismatch),
    "switching-protocols-on-rest": Mode("protected routes answer 101 Switching Protocols",
                                        _switching_protocols),
    "html-error-pages": Mode("protected routes answer a 502 nginx HTML page",
                             _answer(502, NGINX_502, "text/html", when=is_protected)),
}

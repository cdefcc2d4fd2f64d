"""Each fault switch of the reference stack observably changes what a client sees."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Callable

import httpx
import jwt
import pytest
import socketio
from websockets.asyncio.client import connect as ws_connect

from harness.stacks.reference import FAULTS, VARIANTS, ReferenceStack

ORIGIN = "http://localhost:3000"
POLLING = "/socket.io/?EIO=4&transport=polling"
MALFORMED = b'{"conversationId": "abc", "text": "hello",}'


def _client(stack: ReferenceStack, timeout: float = 5.0) -> httpx.Client:
    return httpx.Client(base_url=stack.url, timeout=timeout)


def login(stack: ReferenceStack) -> httpx.Response:
    """POST the stack's credentials to /api/auth/login."""
    with _client(stack) as client:
        return client.post("/api/auth/login", json={"username": stack.settings.username,
                                                    "password": stack.settings.password})


def _token(stack: ReferenceStack) -> str:
    return login(stack).json()["token"]


def bearer(stack: ReferenceStack) -> dict[str, str]:
    """An Authorization header with a fresh valid token."""
    return {"authorization": f"Bearer {_token(stack)}"}


def create_conversation(stack: ReferenceStack, headers: dict[str, str]) -> str:
    """The id of a new conversation."""
    with _client(stack) as client:
        return client.post("/api/conversations", headers=headers,
                           json={"participants": [], "title": "smoke"}).json()["id"]


@contextlib.asynccontextmanager
async def socket_session(stack: ReferenceStack, token: str,
                         events: dict[str, list] | None = None
                         ) -> AsyncIterator[socketio.AsyncClient]:
    """A connected Socket.IO client (websocket transport); `events[name]` collects payloads."""
    sio = socketio.AsyncClient(reconnection=False)
    for name, received in (events or {}).items():
        sio.on(name, received.append)
    await sio.connect(stack.url, auth={"token": token}, transports=["websocket"],
                      wait_timeout=3)
    try:
        yield sio
    finally:
        await sio.disconnect()


async def hold_polls(client: httpx.AsyncClient, stack: ReferenceStack,
                     count: int) -> list[asyncio.Task]:
    """`count` Engine.IO long-polls held open at the gateway (each waits for the ping)."""
    sids = [json.loads((await client.get(POLLING)).text[1:])["sid"] for _ in range(count)]
    target = stack.requests_received + count
    held = [asyncio.ensure_future(client.get(f"{POLLING}&sid={sid}")) for sid in sids]
    deadline = time.monotonic() + 3
    while stack.requests_received < target and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    return held


async def seconds_for_health(stack: ReferenceStack, held_polls: int) -> float:
    """How long /api/health takes while `held_polls` other requests are in flight."""
    async with httpx.AsyncClient(base_url=stack.url, timeout=5) as client:
        held = await hold_polls(client, stack, held_polls)
        try:
            started = time.perf_counter()
            (await client.get("/api/health")).raise_for_status()
            return time.perf_counter() - started
        finally:
            for task in held:
                task.cancel()
            await asyncio.gather(*held, return_exceptions=True)


def _status(stack: ReferenceStack, method: str, path: str, **kwargs: object) -> int:
    with _client(stack) as client:
        return client.request(method, path, **kwargs).status_code


def _body(stack: ReferenceStack, method: str, path: str, **kwargs: object) -> str:
    with _client(stack) as client:
        return client.request(method, path, **kwargs).text


def observe_websocket_open(stack: ReferenceStack) -> str:
    async def first_frame() -> str:
        url = stack.url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket"
        try:
            async with ws_connect(url, open_timeout=3) as ws:
                return str(await asyncio.wait_for(ws.recv(), 3))[:1]
        except Exception as exc:  # any failure to open is the observation
            return type(exc).__name__

    return asyncio.run(first_frame())


def observe_socketio_connect_without_token(stack: ReferenceStack) -> str:
    async def connect() -> str:
        client = socketio.AsyncClient()
        try:
            await client.connect(stack.url, transports=["websocket"], wait_timeout=3)
            return "connected"
        except socketio.exceptions.ConnectionError:
            return "refused"
        finally:
            await client.disconnect()

    return asyncio.run(connect())


def _unsigned(token: str) -> str:
    """`token`'s claims under an `alg: none` header, without a signature."""
    return jwt.encode(jwt.decode(token, options={"verify_signature": False}), None,
                      algorithm="none")


def _expired(stack: ReferenceStack, token: str) -> str:
    """`token`'s claims an hour past their expiry, signed with the stack's key."""
    claims = jwt.decode(token, options={"verify_signature": False})
    return jwt.encode({**claims, "exp": int(time.time()) - 3600}, stack.settings.jwt_secret,
                      algorithm="HS256")


def observe_socketio_connect_unsigned(stack: ReferenceStack) -> str:
    async def connect() -> str:
        try:
            async with socket_session(stack, _unsigned(_token(stack))):
                return "connected"
        except socketio.exceptions.ConnectionError:
            return "refused"

    return asyncio.run(connect())


def observe_message_event(stack: ReferenceStack) -> bool:
    token = _token(stack)
    headers = {"authorization": f"Bearer {token}"}
    with _client(stack) as client:
        conversation = client.post("/api/conversations", headers=headers,
                                   json={"participants": [], "title": "smoke-fault"}).json()

    async def round_trip() -> bool:
        received = asyncio.Event()
        sio = socketio.AsyncClient()
        sio.on("message:new", lambda data: received.set())
        await sio.connect(stack.url, auth={"token": token}, transports=["websocket"],
                          wait_timeout=3)
        try:
            await sio.call("conversation:join", {"conversationId": conversation["id"]}, timeout=3)
            async with httpx.AsyncClient(base_url=stack.url, timeout=5) as client:
                await client.post("/api/messages", headers=headers,
                                  json={"conversationId": conversation["id"], "text": "smoke"})
            await asyncio.wait_for(received.wait(), 1.5)
            return True
        except asyncio.TimeoutError:
            return False
        finally:
            await sio.disconnect()

    return asyncio.run(round_trip())


def observe_socket_broadcast(stack: ReferenceStack) -> tuple[bool, bool]:
    """(the sender got its message back, another member of the room got it)."""
    token = _token(stack)
    with _client(stack) as client:
        conversation = client.post("/api/conversations",
                                   headers={"authorization": f"Bearer {token}"},
                                   json={"participants": [], "title": "smoke-fault"}).json()

    async def members() -> tuple[bool, bool]:
        got = [asyncio.Event(), asyncio.Event()]
        clients = [socketio.AsyncClient(), socketio.AsyncClient()]
        for client, event in zip(clients, got, strict=True):
            client.on("message:new", lambda data, event=event: event.set())
            await client.connect(stack.url, auth={"token": token}, transports=["websocket"],
                                 wait_timeout=3)
            await client.call("conversation:join", {"conversationId": conversation["id"]},
                              timeout=3)
        try:
            await clients[0].emit("send_message", {"conversationId": conversation["id"],
                                                   "text": "smoke"})
            await asyncio.sleep(1.0)
            return got[0].is_set(), got[1].is_set()
        finally:
            for client in clients:
                await client.disconnect()

    return asyncio.run(members())


def observe_create(stack: ReferenceStack) -> str:
    headers = {"authorization": f"Bearer {_token(stack)}"}
    try:
        return str(_status(stack, "POST", "/api/conversations", headers=headers,
                           json={"participants": []}, timeout=1.0))
    except httpx.ReadTimeout:
        return "timeout"


def observe_health_seconds(stack: ReferenceStack) -> bool:
    started = time.perf_counter()
    _status(stack, "GET", "/api/health")
    return time.perf_counter() - started > 1.0


def observe_join(stack: ReferenceStack, event: str = "conversation:join",
                 payload: object = None) -> str:
    """What confirms a join: its "ack", a "conversation_joined" event, or "nothing"."""
    token = _token(stack)
    conversation_id = create_conversation(stack, {"authorization": f"Bearer {token}"})

    async def join() -> str:
        joined: list = []
        async with socket_session(stack, token, {"conversation_joined": joined}) as sio:
            try:
                await sio.call(event, payload or {"conversationId": conversation_id},
                               timeout=1)
                return "ack"
            except socketio.exceptions.TimeoutError:
                return "conversation_joined" if joined else "nothing"

    return asyncio.run(join())


def observe_ack(stack: ReferenceStack) -> object:
    """The keys of a member's join ack."""
    token = _token(stack)
    conversation_id = create_conversation(stack, {"authorization": f"Bearer {token}"})

    async def join() -> object:
        async with socket_session(stack, token, {}) as sio:
            ack = await sio.call("conversation:join", {"conversationId": conversation_id},
                                 timeout=2)
            return sorted(ack) if isinstance(ack, dict) else ack

    return asyncio.run(join())


def _outsider_token(stack: ReferenceStack) -> str:
    with _client(stack) as client:
        return client.post("/api/auth/login", json={
            "username": stack.settings.outsider_username,
            "password": stack.settings.outsider_password}).json()["token"]


def _json_as(stack: ReferenceStack, token: str, path: str) -> object:
    with _client(stack) as client:
        return client.get(path, headers={"authorization": f"Bearer {token}"}).json()


def observe_outsider_join(stack: ReferenceStack) -> str:
    """What the run's conversation answers an outsider's join: "ack" (let in) or "refused"."""
    conversation_id = create_conversation(stack, bearer(stack))

    async def join() -> str:
        async with socket_session(stack, _outsider_token(stack)) as sio:
            reply = await sio.call("conversation:join", {"conversationId": conversation_id},
                                   timeout=2)
            return "ack" if reply.get("ok") else "refused"

    return asyncio.run(join())


def count_message_events(stack: ReferenceStack, event: str = "message:new",
                         peer: bool = False) -> int:
    """How many `event`s one posted message gives a member in the room (the sender, or the
    peer it shares the conversation with)."""
    token = _token(stack)
    headers = {"authorization": f"Bearer {token}"}
    with _client(stack) as client:
        conversation_id = client.post("/api/conversations", headers=headers, json={
            "participants": [stack.settings.peer_username], "title": "smoke"}).json()["id"]
        listener = client.post("/api/auth/login", json={
            "username": stack.settings.peer_username,
            "password": stack.settings.peer_password}).json()["token"] if peer else token

    async def count() -> int:
        received: list = []
        async with socket_session(stack, listener, {event: received}) as sio:
            await sio.call("conversation:join", {"conversationId": conversation_id}, timeout=2)
            async with httpx.AsyncClient(base_url=stack.url, timeout=5) as client:
                await client.post("/api/messages", headers=headers, json={
                    "conversationId": conversation_id, "text": "smoke-count"})
            await asyncio.sleep(0.5)
        return len(received)

    return asyncio.run(count())


def observe_socketio_connect_with_token(stack: ReferenceStack) -> str:
    token = _token(stack)

    async def connect() -> str:
        refusals: list = []
        sio = socketio.AsyncClient(reconnection=False)
        sio.on("connect_error", refusals.append)
        try:
            await sio.connect(stack.url, auth={"token": token}, transports=["websocket"],
                              wait_timeout=3)
            return "connected"
        except socketio.exceptions.ConnectionError:
            return refusals[0]["message"] if refusals else "refused"
        finally:
            await sio.disconnect()

    return asyncio.run(connect())


def _json(stack: ReferenceStack, path: str) -> object:
    with _client(stack) as client:
        return client.get(path).json()


def _post_malformed(stack: ReferenceStack) -> tuple[int, bool]:
    with _client(stack) as client:
        response = client.post("/api/messages", content=MALFORMED,
                               headers={"content-type": "application/json"})
        return response.status_code, "stack" in response.json()


def _create_as_text(stack: ReferenceStack) -> int:
    headers = {**bearer(stack), "content-type": "text/plain"}
    return _status(stack, "POST", "/api/conversations", headers=headers,
                   content=b'{"participants": []}')


# fault -> (observation, what the faulty stack shows)
OBSERVATIONS: dict[str, tuple[Callable[[ReferenceStack], object], object]] = {
    "cookie-auth": (lambda s: sorted(login(s).cookies), ["token"]),
    "message-via-socket": (observe_message_event, False),
    "broadcast-skips-sender": (observe_socket_broadcast, (False, True)),
    "socket-direct": (lambda s: _status(s, "GET", POLLING), 404),
    "port-mismatch": (lambda s: _status(s, "GET", "/api/conversations"), 504),
    "dual-upgrade": (observe_websocket_open, "InvalidStatus"),
    "socketio-proxy-everywhere": (
        lambda s: _body(s, "GET", "/api/messages"),
        '{"error": "WebSocket service configuration error"}'),
    "proxy-target-missing": (
        lambda s: (_status(s, "GET", "/socket.io/?EIO=4&transport=polling"),
                   _status(s, "GET", "/api/messages")), (503, 401)),
    "conversations-precedence": (
        lambda s: (_status(s, "GET", "/api/conversations"), _status(s, "GET", "/api/messages")),
        (503, 401)),
    "notifications-unavailable": (
        lambda s: _body(s, "GET", "/api/notifications"),
        '{"error": "Messaging service unavailable"}'),
    "messaging-health-503": (lambda s: _status(s, "GET", "/api/messaging/health"), 503),
    "stale-service-map": (
        lambda s: httpx.get(f"{s.url}/api/health", timeout=5).json()["services"]["messaging"],
        "http://localhost:5005"),
    "auth-not-enforced": (lambda s: _status(s, "GET", "/api/messages"), 200),
    "socketio-auth-not-enforced": (observe_socketio_connect_without_token, "connected"),
    "jwt-decode-only": (lambda s: (
        _status(s, "GET", "/api/messages", headers={
            "authorization": f"Bearer {_unsigned(_token(s))}"}),
        _status(s, "GET", "/api/messages", headers={
            "authorization": f"Bearer {jwt.encode({'sub': 'nobody'}, None, algorithm='none')}"})),
        (200, 401)),
    "jwt-exp-ignored": (lambda s: (
        _status(s, "GET", "/api/messages", headers={
            "authorization": f"Bearer {_expired(s, _token(s))}"}),
        _status(s, "GET", "/api/messages", headers={
            "authorization": f"Bearer {_expired(s, jwt.encode({'sub': 'nobody'}, 'k'))}"})),
        (200, 401)),
    "socketio-jwt-decode-only": (observe_socketio_connect_unsigned, "connected"),
    "messages-unchecked-404": (
        lambda s: _status(s, "GET", "/api/messages?conversationId=smoke-none"), 404),
    "stack-trace-on-bad-json": (
        lambda s: "at JSON.parse" in _body(s, "POST", "/api/messages", content=b"{bad",
                                           headers={"content-type": "application/json"}),
        True),
    "slow-health": (observe_health_seconds, True),
    "no-message-event": (observe_message_event, False),
    "cors-reject": (
        lambda s: _status(s, "GET", "/socket.io/?EIO=4&transport=polling",
                          headers={"origin": ORIGIN}), 400),
    "create-never-responds": (observe_create, "timeout"),
    "rate-limited": (
        lambda s: httpx.get(f"{s.url}/api/health", timeout=5).headers.get("ratelimit-policy"),
        "45;w=900"),
    "login-rate-limited": (lambda s: login(s).status_code, 429),
    "aggregate-reports-429": (
        lambda s: _json(s, "/api/health/aggregate")["services"]["messaging"],
        {"status": "unhealthy", "error": "Request failed with status code 429"}),
    "health-variant": (lambda s: _json(s, "/api/health")["services"], ["messaging", "auth"]),
    "nested-ids": (lambda s: sorted(login(s).json()), ["data", "success"]),
    "messages-need-query": (lambda s: _status(s, "GET", "/api/messages", headers=bearer(s)),
                            400),
    "join-confirm-event": (observe_join, "conversation_joined"),
    "ack-status-words": (observe_ack, ["conversationId", "status"]),
    "event-names-variant": (
        lambda s: [name for name in ("conversation:join", "join_conversation")
                   if observe_join(s, name) == "ack"], ["join_conversation"]),
    "db-down": (lambda s: _status(s, "GET", "/api/notifications", headers=bearer(s)), 500),
    "db-refused": (lambda s: _body(s, "GET", "/api/notifications", headers=bearer(s)),
                   '{"error":"connect ECONNREFUSED 127.0.0.1:27017"}'),
    "db-down-slow": (lambda s: _json(s, "/api/messaging/health")["database"],
                     {"connected": False}),
    "auth-db-error-401": (lambda s: (_status(s, "GET", "/api/conversations", headers=bearer(s)),
                                     _status(s, "GET", "/api/notifications", headers=bearer(s))),
                          (401, 200)),
    "login-db-refused": (lambda s: login(s).status_code, 400),
    "socket-service-down": (lambda s: _status(s, "GET", "/api/messaging/health"), 504),
    "messaging-target-unset": (lambda s: _json(s, "/api/health")["services"], {}),
    "socketio-proxy-catch-all": (lambda s: login(s).status_code, 404),
    "redis-down": (lambda s: _status(s, "GET", "/api/messaging/health"), 504),
    "service-url-invalid": (lambda s: _json(s, "/api/messaging/health"),
                            {"error": "Invalid URL", "code": "ERR_INVALID_URL"}),
    "secret-mismatch": (observe_socketio_connect_with_token,
                        "Authentication error: invalid signature"),
    "mount-path-dropped": (lambda s: _status(s, "GET", "/api/conversations"), 404),
    "stack-in-json": (_post_malformed, (400, True)),
    "leak-internal-address": (lambda s: "upstream" in _json(s, "/api/no-such-route"), True),
    "idor-user-route": (lambda s: _status(s, "GET", "/api/users/someone-else/notifications",
                                          headers=bearer(s)), 200),
    "crash-on-wrong-type": (lambda s: _status(s, "POST", "/api/conversations",
                                              headers=bearer(s),
                                              json={"participants": [None], "title": "t"}),
                            500),
    "join-without-membership": (observe_outsider_join, "ack"),
    "join-confirms-anyone": (observe_outsider_join, "ack"),
    "profile-leaks-email": (lambda s: "email" in _json_as(s, _outsider_token(s),
                                                           f"/api/users/{s.settings.username}"),
                            True),
    "double-emit": (count_message_events, 2),
    "double-emit-late": (count_message_events, 2),
    "double-notify": (lambda s: count_message_events(s, "notification:new", peer=True), 2),
    "text-plain-accepted": (_create_as_text, 201),
    "participants-checked": (lambda s: _status(s, "POST", "/api/conversations",
                                               headers=bearer(s),
                                               json={"participants": ["{peer_id}"]}), 400),
    "slow-under-load": (lambda s: asyncio.run(seconds_for_health(s, 9)) > 1.2, True),
    "websocket-only-server": (
        lambda s: _status(s, "GET", "/socket.io/?EIO=4&transport=polling"), 400),
}


def test_every_fault_has_an_observation() -> None:
    assert set(OBSERVATIONS) == set(FAULTS)
    assert VARIANTS.issubset(FAULTS)


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_fault_changes_what_a_client_sees(fault: str, reference_stack) -> None:
    observe, faulty = OBSERVATIONS[fault]
    healthy_value = observe(reference_stack())
    faulty_value = observe(reference_stack(fault))
    assert faulty_value == faulty
    assert healthy_value != faulty_value


def test_unknown_fault_is_rejected_with_the_known_names() -> None:
    with pytest.raises(ValueError, match="unknown fault.*no-such-fault.*known: port-mismatch"):
        ReferenceStack(["no-such-fault"])

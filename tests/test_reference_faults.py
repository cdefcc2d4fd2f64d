"""Each fault switch of the reference stack observably changes what a client sees."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import httpx
import pytest
import socketio
from websockets.asyncio.client import connect as ws_connect

from harness.stacks.reference import FAULTS, ReferenceStack

ORIGIN = "http://localhost:3000"


def _client(stack: ReferenceStack, timeout: float = 5.0) -> httpx.Client:
    return httpx.Client(base_url=stack.url, timeout=timeout)


def _token(stack: ReferenceStack) -> str:
    with _client(stack) as client:
        response = client.post("/api/auth/login", json={"username": stack.settings.username,
                                                        "password": stack.settings.password})
        return response.json()["token"]


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


# fault -> (observation, what the faulty stack shows)
OBSERVATIONS: dict[str, tuple[Callable[[ReferenceStack], object], object]] = {
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
}


def test_every_fault_has_an_observation() -> None:
    assert set(OBSERVATIONS) == set(FAULTS)


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

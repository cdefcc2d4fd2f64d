"""The reference gateway's traffic faults and counter: rate limits, slowness under load, and
requests_received (what the stack says it received, to compare with what a run says it sent)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping
from typing import Any

import httpx
import pytest
import socketio
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import InvalidStatus

from harness.stacks.reference import ReferenceStack
from harness.stacks.reference.traffic import RATE_LIMIT as LIMIT
from tests.test_reference_faults import POLLING, _token, login, seconds_for_health

WEBSOCKET = "/socket.io/?EIO=4&transport=websocket"
TOO_MANY = {"error": "Too many requests from this IP, please try again later."}


def assert_rate_headers(headers: Mapping[str, str], remaining: int) -> None:
    """Every answer carries the draft-6/7 and the legacy rate-limit headers."""
    reset = int(headers["ratelimit-reset"])
    assert 0 < reset <= 900
    assert headers["ratelimit-limit"] == headers["x-ratelimit-limit"] == str(LIMIT)
    assert headers["ratelimit-remaining"] == headers["x-ratelimit-remaining"] == str(remaining)
    assert headers["ratelimit"] == f"limit={LIMIT}, remaining={remaining}, reset={reset}"
    assert headers["ratelimit-policy"] == f"{LIMIT};w=900"
    assert abs(int(headers["x-ratelimit-reset"]) - (time.time() + reset)) < 5


def ws_url(stack: ReferenceStack) -> str:
    return stack.url.replace("http://", "ws://", 1) + WEBSOCKET


async def upgrade_headers(stack: ReferenceStack) -> Mapping[str, str]:
    """The headers of a successful websocket upgrade through the gateway."""
    async with ws_connect(ws_url(stack), open_timeout=3) as ws:
        return ws.response.headers


async def refused_upgrade(stack: ReferenceStack) -> tuple[int, Mapping[str, str], Any]:
    """Status, headers and JSON body of the HTTP answer that refused a websocket upgrade."""
    with pytest.raises(InvalidStatus) as refused:
        async with ws_connect(ws_url(stack), open_timeout=3):
            pass
    answer = refused.value.response
    return answer.status_code, answer.headers, json.loads(bytes(answer.body or b"null"))


def test_rate_limit_counts_every_request_and_persists_across_clients(reference_stack) -> None:
    stack = reference_stack("rate-limited")
    with httpx.Client(base_url=stack.url, timeout=5) as client:
        for count in range(1, LIMIT - 2):
            answer = client.get("/api/health")
            assert answer.status_code == 200
            assert_rate_headers(answer.headers, LIMIT - count)
        polling = client.get(POLLING)
        assert polling.status_code == 200
        assert_rate_headers(polling.headers, 2)
    assert_rate_headers(asyncio.run(upgrade_headers(stack)), 1)
    with httpx.Client(base_url=stack.url, timeout=5) as later_run:
        last = later_run.get("/api/messages")
        assert last.status_code == 401
        assert_rate_headers(last.headers, 0)
        over = later_run.get("/api/health")
    assert over.status_code == 429
    assert over.json() == TOO_MANY
    assert_rate_headers(over.headers, 0)
    assert over.headers["retry-after"] == over.headers["ratelimit-reset"]
    status, headers, body = asyncio.run(refused_upgrade(stack))
    assert (status, body) == (429, TOO_MANY)
    assert "retry-after" in headers
    assert stack.requests_received == LIMIT + 2


def test_rate_limit_is_per_client_ip(reference_stack) -> None:
    stack = reference_stack("rate-limited")
    with httpx.Client(base_url=stack.url, timeout=5) as client:
        answers = [client.get("/api/health").status_code for _ in range(LIMIT + 1)]
    assert answers == [200] * LIMIT + [429]
    other_ip = httpx.HTTPTransport(local_address="127.0.0.2")
    with httpx.Client(base_url=stack.url, timeout=5, transport=other_ip) as client:
        answer = client.get("/api/health")
    assert answer.status_code == 200
    assert_rate_headers(answer.headers, LIMIT - 1)


def test_without_the_fault_no_rate_limit_headers(reference_stack) -> None:
    stack = reference_stack()
    headers = httpx.get(f"{stack.url}/api/health", timeout=5).headers
    assert not [name for name in headers if "ratelimit" in name]


def test_login_rate_limited_refuses_every_login(reference_stack) -> None:
    stack = reference_stack("login-rate-limited")
    for _ in range(2):
        answer = login(stack)
        assert answer.status_code == 429
        assert answer.headers["retry-after"] == "900"
        assert "error" in answer.json()
    assert httpx.get(f"{stack.url}/api/health", timeout=5).status_code == 200


def test_requests_received_counts_http_polling_and_upgrades(reference_stack) -> None:
    stack = reference_stack()
    assert stack.requests_received == 0
    token = _token(stack)
    with httpx.Client(base_url=stack.url, timeout=5) as client:
        assert client.get("/api/health/aggregate").status_code == 200
        assert client.get(POLLING).status_code == 200
    asyncio.run(upgrade_headers(stack))

    async def connect() -> None:
        sio = socketio.AsyncClient(reconnection=False)
        await sio.connect(stack.url, auth={"token": token}, transports=["websocket"],
                          wait_timeout=3)
        await sio.disconnect()

    asyncio.run(connect())
    assert stack.requests_received == 5


def test_slow_under_load_only_past_eight_in_flight(reference_stack) -> None:
    calm = reference_stack("slow-under-load")
    assert asyncio.run(seconds_for_health(calm, 0)) < 1.0
    assert asyncio.run(seconds_for_health(calm, 7)) < 1.0
    busy = reference_stack("slow-under-load")
    assert asyncio.run(seconds_for_health(busy, 8)) >= 1.4

"""Connections opened ahead for the run's websockets: only a live one is handed out, and what
is not used is closed. Real listening sockets, one of which hangs up at once."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from harness.probes.http_ahead import transport_with
from harness.probes.preconnect import ConnectionsAhead
from tests.json_server import JsonHandler, serving


@pytest.fixture
def listener() -> Iterator[tuple[socket.socket, list[socket.socket]]]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    accepted: list[socket.socket] = []
    yield server, accepted
    for conn in accepted:
        conn.close()
    server.close()


def _accept(server: socket.socket, accepted: list[socket.socket], close: bool) -> None:
    server.settimeout(3)
    try:
        conn, _ = server.accept()
    except TimeoutError:  # a connection closed while it was still being opened
        return
    if close:
        conn.close()
    else:
        accepted.append(conn)


def test_a_live_connection_is_handed_out_and_the_rest_closed(listener) -> None:
    server, accepted = listener
    port = server.getsockname()[1]
    threads = [threading.Thread(target=_accept, args=(server, accepted, False)) for _ in (1, 2)]
    for thread in threads:
        thread.start()

    async def scenario() -> tuple[socket.socket | None, ConnectionsAhead]:
        ahead = ConnectionsAhead(f"ws://127.0.0.1:{port}", 5.0)
        ahead.open(2)
        taken = await ahead.take()
        await ahead.close()
        return taken, ahead

    taken, ahead = asyncio.run(scenario())
    for thread in threads:
        thread.join(5)
    assert taken is not None and taken.getpeername()[1] == port
    assert any(conn.getpeername() == taken.getsockname() for conn in accepted)
    for untaken in (c for c in accepted if c.getpeername() != taken.getsockname()):
        untaken.settimeout(3)
        assert untaken.recv(1) == b""  # the one not used was closed
    taken.close()


def test_a_connection_the_server_closed_is_not_handed_out(listener) -> None:
    server, accepted = listener
    port = server.getsockname()[1]
    thread = threading.Thread(target=_accept, args=(server, accepted, True))
    thread.start()

    async def scenario() -> socket.socket | None:
        ahead = ConnectionsAhead(f"ws://127.0.0.1:{port}", 5.0)
        ahead.open(1)
        await asyncio.to_thread(thread.join, 5)  # the server has hung up meanwhile
        assert not thread.is_alive()
        return await ahead.take()

    assert asyncio.run(scenario()) is None


def test_nothing_to_hand_out_where_nothing_listens(closed_port) -> None:
    async def scenario() -> socket.socket | None:
        ahead = ConnectionsAhead(f"wss://127.0.0.1:{closed_port()}", 5.0)
        ahead.open(1)
        return await ahead.take()

    assert asyncio.run(scenario()) is None


class CountsConnections(JsonHandler):
    """Each accepted connection is one handler: a connection opened ahead and never used
    would be one more."""

    connections: list[int] = []

    def setup(self) -> None:
        CountsConnections.connections.append(self.client_address[1])
        super().setup()

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self.send_json(200, {"port": self.client_address[1]})


def test_the_http_client_sends_its_first_new_request_on_the_connection_opened_ahead() -> None:
    CountsConnections.connections = []
    with serving(CountsConnections) as url:
        async def scenario() -> int:
            ahead = ConnectionsAhead(url, 5.0)
            ahead.open(1)
            await asyncio.sleep(0.2)  # established before the request
            async with httpx.AsyncClient(base_url=url, transport=transport_with(
                    ahead, httpx.Limits(max_connections=2))) as client:
                answer = await client.get("/", timeout=5)
            await ahead.close()
            return answer.json()["port"]

        asked_from = asyncio.run(scenario())
        time.sleep(0.2)
    assert CountsConnections.connections == [asked_from]

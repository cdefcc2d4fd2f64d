"""Starts the reference gateway and messaging service on free loopback ports, in-process."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Iterable
from typing import Any

import uvicorn

from harness.loop import LoopThread
from harness.reference.faults import parse_faults
from harness.reference.gateway import Gateway
from harness.reference.messaging import MessagingService
from harness.reference.settings import ReferenceSettings

log = logging.getLogger("reference")
START_TIMEOUT_S = 15.0


def bind_loopback(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A listening socket on `host`:`port` (0 picks a free port), ready to hand to uvicorn."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.setblocking(False)
    return sock


def unused_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on right now (for the port-mismatch fault)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def uvicorn_server(app: Any) -> uvicorn.Server:
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off",
                            timeout_graceful_shutdown=1, ws_ping_interval=None)
    server = uvicorn.Server(config)
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    return server


class ReferenceStack:
    """Gateway + messaging service, each a real server on its own loopback port."""

    def __init__(self, faults: str | Iterable[str] | None = None,
                 settings: ReferenceSettings | None = None, host: str = "127.0.0.1") -> None:
        base = settings or ReferenceSettings.from_env()
        extra = parse_faults(faults)
        self.settings = ReferenceSettings(**{**base.__dict__, "faults": base.faults | extra})
        self.host = host
        self._loop: LoopThread | None = None
        self._servers: list[uvicorn.Server] = []
        self._tasks: list[Any] = []
        self.url = ""
        self.messaging_url = ""

    @property
    def expected_services(self) -> dict[str, str]:
        """The service map a correctly configured gateway reports."""
        return {"messaging": self.messaging_url}

    def start(self) -> ReferenceStack:
        messaging_sock = bind_loopback(self.host)
        gateway_sock = bind_loopback(self.host)
        messaging_port = messaging_sock.getsockname()[1]
        self.messaging_url = f"http://{self.host}:{messaging_port}"
        self.url = f"http://{self.host}:{gateway_sock.getsockname()[1]}"
        target = (f"http://{self.host}:{unused_port(self.host)}"
                  if self.settings.has("port-mismatch") else self.messaging_url)
        self._loop = LoopThread("reference-stack")
        messaging = self._loop.run(_build_messaging(self.settings), timeout=START_TIMEOUT_S)
        gateway = Gateway(self.settings, target)
        self._servers = [uvicorn_server(messaging), uvicorn_server(gateway)]
        self._tasks = [
            self._loop.submit(self._servers[0].serve(sockets=[messaging_sock])),
            self._loop.submit(self._servers[1].serve(sockets=[gateway_sock])),
        ]
        self._loop.run(self._wait_started(), timeout=START_TIMEOUT_S)
        log.info("Messaging Service running on port %d", messaging_port)
        log.info("API gateway on %s, proxying to %s", self.url, target)
        return self

    async def _wait_started(self) -> None:
        while not all(server.started for server in self._servers):
            for task in self._tasks:
                if task.done():
                    task.result()
            await asyncio.sleep(0.01)

    def stop(self) -> None:
        if self._loop is None:
            return
        for server in self._servers:
            server.should_exit = True
        for task in self._tasks:
            try:
                task.result(timeout=5)
            except Exception as exc:  # report, keep stopping the rest
                log.warning("reference server stopped with %s", exc)
        self._loop.close()
        self._loop = None

    def __enter__(self) -> ReferenceStack:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


async def _build_messaging(settings: ReferenceSettings) -> MessagingService:
    return MessagingService(settings)

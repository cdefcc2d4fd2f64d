"""Starts the reference gateway and messaging service on loopback ports, in-process."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import uvicorn

from harness.stacks.reference.faults import parse_faults
from harness.stacks.reference.gateway import Gateway
from harness.stacks.reference.loop import LoopThread
from harness.stacks.reference.messaging import MessagingService
from harness.stacks.reference.ratelimit import REDIS_CRASH
from harness.stacks.reference.settings import ReferenceSettings

log = logging.getLogger("reference")
START_TIMEOUT_S = 15.0
LOG_FORMAT = "%(asctime)s %(name)s %(levelname)s %(message)s"
STACK_LOGGERS = ("reference", "uvicorn", "uvicorn.error", "engineio", "socketio", "engineio.server",
                 "socketio.server")


def bind(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
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


def route_logs(log_path: Path | None) -> None:
    """Send the stack's logs to `log_path` (embedded use) instead of the caller's console."""
    if log_path is None:
        return
    handler = logging.FileHandler(log_path, encoding="utf-8")
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    for name in STACK_LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.propagate = False
        logger.setLevel(logging.INFO)


class ServerGroup:
    """ASGI apps served by uvicorn on their own sockets, on one background event loop."""

    def __init__(self) -> None:
        self._loop = LoopThread("reference-stack")
        self._servers: list[uvicorn.Server] = []
        self._tasks: list[Any] = []

    def run(self, coro: Any) -> Any:
        return self._loop.run(coro, timeout=START_TIMEOUT_S)

    def serve(self, app: Any, sock: socket.socket) -> None:
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off",
                                timeout_graceful_shutdown=0.1, ws_ping_interval=None,
                                log_config=None)
        server = uvicorn.Server(config)
        self._servers.append(server)
        self._tasks.append(self._loop.submit(server.serve(sockets=[sock])))

    def wait_started(self) -> None:
        async def started() -> None:
            while not all(server.started for server in self._servers):
                for task in self._tasks:
                    if task.done():
                        task.result()
                await asyncio.sleep(0.01)

        self._loop.run(started(), timeout=START_TIMEOUT_S)

    def stop(self) -> None:
        for server in self._servers:
            server.should_exit = True
        for task in self._tasks:
            try:
                task.result(timeout=5)
            except Exception as exc:  # report, keep stopping the rest
                log.warning("reference server stopped with %s", exc)
        self._loop.close()


async def build_messaging(settings: ReferenceSettings,
                          hanging: set[str] | None = None) -> MessagingService:
    return MessagingService(settings, hanging)


class ReferenceStack:
    """Gateway + messaging service, each a real server on its own port (two hops, as in prod)."""

    def __init__(self, faults: str | Iterable[str] | None = None,
                 settings: ReferenceSettings | None = None, host: str = "127.0.0.1",
                 gateway_port: int = 0, messaging_port: int = 0,
                 log_path: Path | None = None) -> None:
        base = settings or ReferenceSettings.from_env()
        self.settings = replace(base, faults=base.faults | parse_faults(faults))
        self.host = host
        self.ports = (gateway_port, messaging_port)
        self.log_path = log_path
        self.hanging: set[str] = set()  # what holds a request it never answers (a fault)
        self._group: ServerGroup | None = None
        self._gateway: Gateway | None = None
        self.url = ""
        self.messaging_url = ""

    @property
    def expected_services(self) -> dict[str, str]:
        """The service map a correctly configured gateway reports."""
        return {"messaging": self.messaging_url}

    @property
    def requests_received(self) -> int:
        """HTTP requests the gateway has received since start (websocket upgrades and Socket.IO
        polling requests included; the gateway's own calls to the messaging service not)."""
        return self._gateway.requests_received if self._gateway is not None else 0

    def start(self) -> ReferenceStack:
        route_logs(self.log_path)
        gateway_sock, messaging_sock = bind(self.host, self.ports[0]), bind(self.host,
                                                                            self.ports[1])
        messaging_port = messaging_sock.getsockname()[1]
        down = self.settings.has("socket-service-down") or self.settings.has("redis-down")
        if down:  # bound, never served: refused
            messaging_sock.close()
            messaging_port = unused_port(self.host)
        self.messaging_url = f"http://{self.host}:{messaging_port}"
        self.url = f"http://{self.host}:{gateway_sock.getsockname()[1]}"
        target = (f"http://{self.host}:{unused_port(self.host)}"
                  if self.settings.has("port-mismatch") else self.messaging_url)
        self._group = ServerGroup()
        if not down:
            self._group.serve(self._group.run(build_messaging(self.settings, self.hanging)),
                               messaging_sock)
        self._gateway = Gateway(self.settings, target)
        self._group.serve(self._gateway, gateway_sock)
        self._group.wait_started()
        log.info("API gateway listening on %s, proxying to %s", self.url, target)
        log.info("Messaging Service running on port %d", messaging_port)
        if self.settings.has("redis-down"):  # the service's start, then its crash
            log.error(REDIS_CRASH)
        return self

    def stop(self) -> None:
        if self._group is not None:
            self._group.stop()
            self._group = None

    def __enter__(self) -> ReferenceStack:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

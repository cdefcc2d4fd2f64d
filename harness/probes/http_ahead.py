"""The HTTP client's use of connections opened ahead.

httpx opens a TCP connection when a request finds none idle; the Socket.IO handshake that
follows the health document is such a request, and its TCP handshake is a round trip on the
run's critical path. A transport whose connection pool first takes a connection opened ahead
(while health was on its way) pays only the request. httpx has no public way to hand its pool
a socket: the pool's network backend is wrapped, and where this httpx has no such pool the
transport is the plain one (nothing is opened ahead then).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import anyio.abc
import httpcore
import httpx

from harness.probes.preconnect import ConnectionsAhead

try:
    from httpcore._backends.anyio import AnyIOStream
except ImportError:  # another httpcore: no connection is opened ahead for HTTP
    AnyIOStream = None


class AheadBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, except that a connection to the target opened ahead is
    used first."""

    def __init__(self, ahead: ConnectionsAhead, fallback: httpcore.AsyncNetworkBackend) -> None:
        self.ahead = ahead
        self.fallback = fallback

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None,
                          socket_options: Iterable[Any] | None = None,
                          ) -> httpcore.AsyncNetworkStream:
        if (host, port) == (self.ahead.host, self.ahead.port):
            sock = await self.ahead.take()
            if sock is not None and AnyIOStream is not None:
                return AnyIOStream(await anyio.abc.SocketStream.from_socket(sock))
        return await self.fallback.connect_tcp(host, port, timeout, local_address,
                                               socket_options)

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Iterable[Any] | None = None,
                                  ) -> httpcore.AsyncNetworkStream:
        return await self.fallback.connect_unix_socket(path, timeout, socket_options)

    async def sleep(self, seconds: float) -> None:
        await self.fallback.sleep(seconds)


def transport_with(ahead: ConnectionsAhead, limits: httpx.Limits) -> httpx.AsyncHTTPTransport:
    """An httpx transport whose new connections to the target come from `ahead` first."""
    transport = httpx.AsyncHTTPTransport(limits=limits, trust_env=False)
    pool = getattr(transport, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if isinstance(backend, httpcore.AsyncNetworkBackend) and AnyIOStream is not None:
        pool._network_backend = AheadBackend(ahead, backend)  # type: ignore[union-attr]
    else:
        ahead.disabled = True
    return transport

"""A loopback TCP proxy that adds a fixed delay each way, to benchmark against a slow target.

Bytes pass through untouched (HTTP, websockets, anything), so only timing changes: every chunk
is delivered one-way-delay after it was read, in order, and a new connection's first bytes wait
one extra round trip, as a TCP handshake over a real link would make them. The proxy stops by
itself after `lifetime_s` (and on `stop()`), so a crashed benchmark never leaves it running.

    python bench/latency_proxy.py 127.0.0.1:8080 --rtt-ms 100 --lifetime-s 300
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time
from collections.abc import Coroutine
from typing import Any

LOOPBACK = "127.0.0.1"
CHUNK = 64 * 1024
CONNECT_TIMEOUT_S = 5.0


class LatencyProxy:
    """Listens on a free loopback port and forwards to `upstream` with `rtt_s` added."""

    def __init__(self, upstream: tuple[str, int], rtt_s: float = 0.1,
                 split: float = 0.5, lifetime_s: float = 600.0) -> None:
        self.upstream = upstream
        self.rtt_s = rtt_s
        self.delay_up = rtt_s * split
        self.delay_down = rtt_s - self.delay_up
        self.lifetime_s = lifetime_s
        self.port = 0
        self.connections = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._stopped = asyncio.Event()

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    async def start(self) -> LatencyProxy:
        self._server = await asyncio.start_server(self._accept, LOOPBACK, 0)
        self.port = self._server.sockets[0].getsockname()[1]
        self._spawn(self._expire())
        return self

    async def serve(self) -> None:
        """Run until stopped or the lifetime is over."""
        await self._stopped.wait()

    async def stop(self) -> None:
        self._stopped.set()
        if self._server is not None:
            self._server.close()
        current = asyncio.current_task()
        tasks = [task for task in self._tasks if task is not current]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _expire(self) -> None:
        await asyncio.sleep(self.lifetime_s)
        await self.stop()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        established = time.monotonic() + self.rtt_s
        try:
            up_reader, up_writer = await asyncio.wait_for(
                asyncio.open_connection(*self.upstream), CONNECT_TIMEOUT_S)
        except (OSError, asyncio.TimeoutError):
            writer.close()
            return
        self._spawn(_connection(reader, writer, up_reader, up_writer, self.delay_up,
                                self.delay_down, established))


async def _connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                      up_reader: asyncio.StreamReader, up_writer: asyncio.StreamWriter,
                      delay_up: float, delay_down: float, established: float) -> None:
    """Both directions of one connection; both sockets are closed when it ends."""
    try:
        await asyncio.gather(_pipe(reader, up_writer, delay_up, established),
                             _pipe(up_reader, writer, delay_down, 0.0))
    finally:
        writer.close()
        up_writer.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay_s: float,
                not_before: float) -> None:
    """Copy reader -> writer, each chunk delivered `delay_s` after it was read, in order."""
    queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def deliver() -> None:
        while True:
            due, chunk = await queue.get()
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            if not chunk:
                return
            writer.write(chunk)
            await writer.drain()

    delivery = asyncio.ensure_future(deliver())
    try:
        while chunk := await reader.read(CHUNK):
            queue.put_nowait((max(time.monotonic(), not_before) + delay_s, chunk))
        queue.put_nowait((max(time.monotonic(), not_before) + delay_s, b""))
        await delivery
        if writer.can_write_eof():
            writer.write_eof()
    except OSError:
        writer.close()  # a reset on one side resets the other
    finally:
        delivery.cancel()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("upstream", help="HOST:PORT to forward to")
    parser.add_argument("--rtt-ms", type=float, default=100.0, help="added round trip (100)")
    parser.add_argument("--lifetime-s", type=float, default=600.0,
                        help="stop by itself after this long (600)")
    options = parser.parse_args()
    host, _, port = options.upstream.rpartition(":")

    async def run() -> None:
        proxy = await LatencyProxy((host or LOOPBACK, int(port)), options.rtt_ms / 1000,
                                   lifetime_s=options.lifetime_s).start()
        print(f"{proxy.url} -> {options.upstream}, +{options.rtt_ms:g} ms RTT, "
              f"for {options.lifetime_s:g} s", flush=True)
        await proxy.serve()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())


if __name__ == "__main__":
    main()

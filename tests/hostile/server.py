"""Serve a hostile target: `start(mode)` runs one misbehaving gateway (and its thief) locally.

    with start("redirect-other-origin") as target:
        httpx.get(target.url + "/api/conversations")   # 307 to target.thief_url + "/steal"
        assert not target.stolen

Each server listens on 127.0.0.1 on a free port, in a background thread with its own event loop,
and stops by itself after `lifetime_s`. Every mode is a healthy gateway of the default contract
(`tests.hostile.gateway`, `tests.hostile.socketio`) except for its one behaviour
(`tests.hostile.modes`). The thief is a second listener that records every request it gets, so
a test can assert that no credential ever reached it. Manual use:
`python -m tests.hostile.server MODE [--lifetime SECONDS]`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import threading
import time
from dataclasses import dataclass
from types import TracebackType

from tests.hostile.gateway import PASSWORD, USERNAME, rest
from tests.hostile.modes import MODE_TABLE, Mode, gzip_bomb
from tests.hostile.socketio import PATH, SocketIO
from tests.hostile.wire import Conn, Request, read_request, response

MODES: dict[str, str] = {name: mode.description for name, mode in MODE_TABLE.items()}
DEFAULT_LIFETIME_S = 180.0
MAX_REQUESTS_PER_CONNECTION = 1000
START_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Stolen:
    """One request that reached the thief."""

    request_line: str
    headers: dict[str, str]
    body: bytes
    raw: bytes


class HostileServer:
    """A running hostile target; use as a context manager or call `stop()`."""

    def __init__(self, mode: str, lifetime_s: float = DEFAULT_LIFETIME_S) -> None:
        if mode not in MODE_TABLE:
            raise ValueError(f"unknown mode {mode!r}; known: {', '.join(sorted(MODE_TABLE))}")
        self.mode_name = mode
        self.mode: Mode = MODE_TABLE[mode]
        self.deadline = time.monotonic() + lifetime_s
        self.url = ""
        self.thief_url = ""
        self._stolen: list[Stolen] = []
        self._writers: set[asyncio.StreamWriter] = set()
        self._ready = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._stopping: asyncio.Event | None = None
        self.socketio: SocketIO | None = None
        self._thread = threading.Thread(target=self._run, name=f"hostile-{mode}", daemon=True)

    @property
    def stolen(self) -> list[Stolen]:
        """Every request the thief received so far."""
        return list(self._stolen)

    @property
    def stopping(self) -> asyncio.Event:
        assert self._stopping is not None
        return self._stopping

    def start(self) -> HostileServer:
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT_S) or not self.url:
            self.stop()
            raise RuntimeError(f"hostile server {self.mode_name!r} did not start")
        return self

    def stop(self) -> None:
        if self._stopping is not None and not self._loop.is_closed():
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._stopping.set)
        self._thread.join(START_TIMEOUT_S)

    def __enter__(self) -> HostileServer:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop()

    async def hold(self, seconds: float | None = None) -> None:
        """Wait until the server stops, its lifetime ends, or `seconds` pass."""
        remaining = max(self.deadline - time.monotonic(), 0.0)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self.stopping.wait(), min(remaining, seconds or remaining))

    def join(self, timeout_s: float) -> bool:
        """Wait up to `timeout_s` for the server to stop; whether it has."""
        self._thread.join(timeout_s)
        return not self._thread.is_alive()

    def alive(self) -> bool:
        return not self.stopping.is_set() and time.monotonic() < self.deadline

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._main())
        finally:
            self._loop.close()

    async def _main(self) -> None:
        self._stopping = asyncio.Event()
        self.socketio = SocketIO(self._stopping, self.mode.refusal)
        try:
            gateway = await asyncio.start_server(self._serve, "127.0.0.1", 0, limit=65536)
            thief = await asyncio.start_server(self._steal, "127.0.0.1", 0, limit=65536)
            self.url, self.thief_url = _url(gateway), _url(thief)
        finally:
            self._ready.set()
        await self.hold()
        for listener in (gateway, thief):
            listener.close()
        for writer in list(self._writers):
            writer.transport.abort()
        tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        if tasks:
            _done, pending = await asyncio.wait(tasks, timeout=5)
            for task in pending:
                task.cancel()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = Conn(reader, writer)
        self._writers.add(writer)
        try:
            for _ in range(MAX_REQUESTS_PER_CONNECTION):
                request = await read_request(reader)
                if request is None or not self.alive() or not await self._answer(request, conn):
                    break
        except (ConnectionError, asyncio.TimeoutError, asyncio.IncompleteReadError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()

    async def _answer(self, request: Request, conn: Conn) -> bool:
        assert self.socketio is not None
        if self.mode.hook is not None:
            handled = await self.mode.hook(self, request, conn)
            if handled is not None:
                return handled
        if request.path.startswith(PATH):
            return await self.socketio.handle(request, conn)
        reply = rest(request, self.socketio.emit)
        if self.mode.rewrite is not None:
            reply = self.mode.rewrite(request, reply)
        await conn.send(reply.encode())
        return True

    async def _steal(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            for _ in range(MAX_REQUESTS_PER_CONNECTION):
                request = await read_request(reader, timeout_s=10)
                if request is None:
                    break
                line = request.raw_head.split(b"\r\n", 1)[0].decode("latin-1")
                self._stolen.append(Stolen(line, request.headers, request.body,
                                           request.raw_head + request.body))
                writer.write(response(200, b"ok", "text/plain"))
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            self._writers.discard(writer)
            writer.close()


def start(mode: str, lifetime_s: float = DEFAULT_LIFETIME_S) -> HostileServer:
    """Start the hostile target `mode` (see `MODES`); it stops after `lifetime_s` at the latest.

    What a mode sends is built before its URL is handed out, so a busy machine cannot turn the
    server's own preparation into a timeout of the harness.
    """
    if mode == "gzip-bomb":
        gzip_bomb()
    return HostileServer(mode, lifetime_s).start()


def _url(server: asyncio.Server) -> str:
    host, port = server.sockets[0].getsockname()[:2]
    return f"http://{host}:{port}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.hostile.server", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=sorted(MODES))
    parser.add_argument("--lifetime", type=float, default=600.0, help="seconds (default 600)")
    options = parser.parse_args(argv)
    with start(options.mode, options.lifetime) as target:
        print(f"{options.mode}: {MODES[options.mode]}")
        print(f"target {target.url}   thief {target.thief_url}")
        print(f"login: {USERNAME} / password in tests.hostile.gateway.PASSWORD ({len(PASSWORD)} "
              "chars)")
        with contextlib.suppress(KeyboardInterrupt):
            while not target.join(1.0):
                pass
        for stolen in target.stolen:
            print(f"stolen: {stolen.request_line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""HTTP probes: a request described as data, sent once per run, its result kept as evidence."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

import httpx

from harness import __version__
from harness.loop import LoopThread

BASE_HEADERS = {
    "ngrok-skip-browser-warning": "1",
    "user-agent": f"smoke-harness/{__version__}",
    "accept": "application/json",
}
BODY_CAP = 64 * 1024
RETRY_AFTER_CAP_S = 5.0


@dataclass(frozen=True)
class Probe:
    """One HTTP request; hashable so identical probes are sent once."""

    method: str
    path: str
    headers: tuple[tuple[str, str], ...] = ()
    content: bytes | None = None
    label: str = ""

    @classmethod
    def build(
        cls,
        method: str,
        path: str,
        *,
        headers: Mapping[str, str] | None = None,
        json_body: Any = None,
        content: bytes | None = None,
        label: str = "",
    ) -> Probe:
        header_items = dict(headers or {})
        if json_body is not None:
            content = json.dumps(json_body).encode()
            header_items.setdefault("content-type", "application/json")
        return cls(method.upper(), path, tuple(sorted(header_items.items())), content, label)

    @property
    def request_line(self) -> str:
        return f"{self.method} {self.path}"

    def __repr__(self) -> str:
        """Headers and body stay out: they may hold credentials (reports show params)."""
        return f"Probe({self.request_line}{f' - {self.label}' if self.label else ''})"


@dataclass
class ProbeResult:
    """What came back: a status and body, or the transport error instead."""

    probe: Probe
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    elapsed_s: float = 0.0
    error: str | None = None
    error_detail: str = ""

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body parsed as JSON, or None when it is not JSON."""
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


def _classify_transport_error(exc: Exception) -> str:
    if isinstance(exc, (httpx.ReadTimeout, httpx.WriteTimeout)):
        return "no-response"
    if isinstance(exc, (httpx.ConnectTimeout, httpx.PoolTimeout, httpx.ConnectError)):
        return "connect"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "protocol"
    if isinstance(exc, asyncio.TimeoutError):
        return "no-response"
    return "transport"


class HttpProber:
    """One httpx client per target; probes run concurrently up to `concurrency` at a time."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout_s: float,
        loop: LoopThread,
        concurrency: int = 16,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self._loop = loop
        self._limit = asyncio.Semaphore(max(1, concurrency))
        self._client: httpx.AsyncClient | None = None
        self._futures: dict[Probe, Future[ProbeResult]] = {}
        self.requests_sent = 0

    def _client_for_loop(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                base_url=self.base_url,
                headers=BASE_HEADERS,
                timeout=httpx.Timeout(self.timeout_s, connect=min(self.timeout_s, 5.0)),
                follow_redirects=False,
                limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
            )
        return self._client

    async def send(self, probe: Probe) -> ProbeResult:
        """Send one probe now (bounded by the semaphore and the timeout)."""
        async with self._limit:
            result = await self._send_once(probe)
            retry_after = _retry_after_s(result)
            if retry_after is not None and retry_after <= RETRY_AFTER_CAP_S:
                await asyncio.sleep(retry_after)
                result = await self._send_once(probe)
            return result

    async def _send_once(self, probe: Probe) -> ProbeResult:
        client = self._client_for_loop()
        self.requests_sent += 1
        started = time.perf_counter()
        try:
            response = await asyncio.wait_for(
                client.request(
                    probe.method, probe.path, headers=dict(probe.headers), content=probe.content
                ),
                timeout=self.timeout_s * 2,
            )
        except (httpx.HTTPError, asyncio.TimeoutError, OSError) as exc:
            return ProbeResult(
                probe,
                elapsed_s=time.perf_counter() - started,
                error=_classify_transport_error(exc),
                error_detail=f"{type(exc).__name__}: {exc}".strip(": "),
            )
        return ProbeResult(
            probe,
            status=response.status_code,
            headers={k.lower(): v for k, v in response.headers.items()},
            body=response.content[:BODY_CAP],
            elapsed_s=time.perf_counter() - started,
        )

    def fetch(self, probe: Probe) -> Future[ProbeResult]:
        """The (memoised) future result of `probe`; the first call sends it."""
        future = self._futures.get(probe)
        if future is None:
            future = self._loop.submit(self.send(probe))
            self._futures[probe] = future
        return future

    def prefetch(self, probes: Iterable[Probe]) -> None:
        for probe in probes:
            self.fetch(probe)

    def result(self, probe: Probe) -> ProbeResult:
        return self.fetch(probe).result(self.timeout_s * 2 + RETRY_AFTER_CAP_S + 5)

    def close(self) -> None:
        if self._client is not None:
            self._loop.run(self._client.aclose(), timeout=5)
            self._client = None


def _retry_after_s(result: ProbeResult) -> float | None:
    if result.status != 429:
        return None
    try:
        return float(result.headers.get("retry-after", ""))
    except ValueError:
        return None

"""The one HTTP client of a run: bounded in time and size, never follows a redirect.

Every request is counted (per suite), carries `ngrok-skip-browser-warning`, is read as a stream
up to the read cap with decompression bounded too, and gets the run's credential only when it
asks for it. Requests whose body the server may leave unread go on a connection of their own.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
import zlib
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.cookiejar import CookieJar, DefaultCookiePolicy

import httpx

from harness import __version__
from harness.probes.http_ahead import transport_with
from harness.probes.preconnect import ConnectionsAhead
from harness.probes.ratelimit import BudgetTracker
from harness.records.http import HttpAnswer, HttpRequest
from harness.records.timeline import Timeline

BASE_HEADERS = {
    "ngrok-skip-browser-warning": "1",
    "user-agent": f"smoke-harness/{__version__}",
    "accept": "application/json",
    "accept-encoding": "gzip, deflate",
}
DEFAULT_READ_CAP = 256 * 1024
CHUNK = 16 * 1024


class RequestBudgetSpent(Exception):
    """The run's --max-requests cap is reached: nothing more is sent."""


@dataclass
class PathCap:
    """What this run may still send under a declared rate limit's prefixes (the request
    ledger's remainder)."""

    prefixes: tuple[str, ...]
    left: int

    def covers(self, path: str) -> bool:
        return any(path.startswith(prefix) for prefix in self.prefixes)


def route_of(path: str) -> str:
    """A request path without its query: what the ledger counts by."""
    return path.split("?", 1)[0]


class BoundedDecoder:
    """gzip/deflate decoding that never produces more than `cap` bytes."""

    def __init__(self, encoding: str, cap: int) -> None:
        self.cap = cap
        self._zlib = None
        if encoding in ("gzip", "x-gzip"):
            self._zlib = zlib.decompressobj(zlib.MAX_WBITS | 16)
        elif encoding == "deflate":
            self._zlib = zlib.decompressobj()
        self.out = bytearray()
        self.truncated = False

    @property
    def decoding(self) -> bool:
        return self._zlib is not None

    def feed(self, data: bytes) -> None:
        room = self.cap - len(self.out)
        if room <= 0:
            self.truncated = True
            return
        if self._zlib is None:
            chunk = data[:room]
        else:
            try:
                chunk = self._zlib.decompress(data, room)
            except zlib.error:
                chunk = data[:room]
                self._zlib = None
            if self._zlib is not None and self._zlib.unconsumed_tail:
                self.truncated = True
        if len(data) > room and self._zlib is None:
            self.truncated = True
        self.out += chunk
        if len(self.out) >= self.cap:
            self.truncated = True


def _classify(exc: BaseException, headers_seen: bool) -> str:
    if headers_seen:
        return "body-timeout" if isinstance(exc, (httpx.TimeoutException,
                                                  asyncio.TimeoutError)) else "reset"
    if isinstance(exc, (httpx.ReadTimeout, httpx.WriteTimeout, asyncio.TimeoutError)):
        return "timeout"
    if isinstance(exc, (httpx.ConnectTimeout, httpx.PoolTimeout, httpx.ConnectError)):
        text = str(exc).lower()
        return "tls" if "ssl" in text or "certificate" in text else "connect"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "protocol"
    if isinstance(exc, (httpx.ReadError, ConnectionResetError)):
        return "reset"
    if isinstance(exc, (httpx.InvalidURL, httpx.UnsupportedProtocol)):
        return "invalid-url"
    return "transport"


def _switched_protocols(exc: BaseException) -> bool:
    """h11 refuses a 101 nobody asked for: the server answered 101 Switching Protocols."""
    return isinstance(exc, httpx.RemoteProtocolError) and "_SWITCH_UPGRADE" in str(exc)


async def _keep_location(response: httpx.Response) -> None:
    """Take `Location` out of the headers httpx looks at, into the response's extensions.

    httpx builds the follow-up request of every redirect even when it does not follow it, and
    raises on a Location it cannot parse (`http://[::1/x`, port 99999): the redirect would be
    lost as a protocol error. The harness never follows one; the header stays evidence.
    """
    if "location" in response.headers:
        response.extensions = {**response.extensions,
                               "smoke_location": response.headers.get_list("location")}
        del response.headers["location"]


def _no_cookies() -> CookieJar:
    """A jar that keeps nothing: a login's cookie never rides on a no-token probe."""
    return CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))


class HttpProbeClient:
    """Sends HttpRequests to one base URL; `credential(role)` supplies the headers of a
    request's `auth` (the run's "valid" token, or an identity's: "peer", "outsider")."""

    def __init__(self, base_url: str, *, timeout_s: float, read_cap: int = DEFAULT_READ_CAP,
                 max_requests: int | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self.read_cap = read_cap
        self.max_requests = max_requests
        self.sent: Counter[str] = Counter()
        self.paths: Counter[str] = Counter()  # requests per route path, for the ledger
        self.caps: list[PathCap] = []
        self.budget = BudgetTracker()
        self.credential: Callable[[str], Mapping[str, str]] = lambda role: {}
        self.values: dict[str, str] = {}
        self.timeline = Timeline()
        timeout = httpx.Timeout(timeout_s, connect=min(timeout_s, 5.0))
        common = {"base_url": self.base_url, "headers": BASE_HEADERS, "timeout": timeout,
                  "follow_redirects": False, "trust_env": False, "cookies": _no_cookies(),
                  "event_hooks": {"response": [_keep_location]}}
        self.ahead = ConnectionsAhead(self.base_url, timeout_s)
        self._client = httpx.AsyncClient(**common, transport=transport_with(
            self.ahead, httpx.Limits(max_connections=32, max_keepalive_connections=16)))
        self._oneshot = httpx.AsyncClient(**common, limits=httpx.Limits(
            max_connections=8, max_keepalive_connections=0))

    @property
    def requests_sent(self) -> int:
        return sum(self.sent.values())

    def count(self, suite: str, n: int = 1, path: str = "") -> None:
        """Count requests about to be sent to `path` (this client's, websocket upgrades,
        polling); none beyond --max-requests, what the target's rate limit says is left, or
        what the contract's declared limits have left (a request of unknown path counts
        against every one)."""
        route = route_of(path)
        capped = [cap for cap in self.caps if not route or cap.covers(route)]
        short = next((cap for cap in capped if cap.left < n), None)
        if short is not None:
            raise RequestBudgetSpent(f"the contract's rate limit on {', '.join(short.prefixes)} "
                                     f"has {short.left} request(s) left for this run")
        if self.max_requests is not None and self.requests_sent + n > self.max_requests:
            raise RequestBudgetSpent(f"--max-requests {self.max_requests} reached")
        if not self.budget.spend(n):
            raise RequestBudgetSpent(f"the target's rate limit has {self.budget.left} "
                                     "request(s) left for this run")
        for cap in capped:
            cap.left -= n
        self.sent[suite] += n
        self.paths[route or "(unknown)"] += n

    def fill(self, path: str) -> str:
        """`path` with `{name}` placeholders filled from the run's values."""
        for name, value in self.values.items():
            path = path.replace("{" + name + "}", value)
        return path

    def fill_body(self, body: bytes | None) -> bytes | None:
        """A JSON body with `{name}` placeholders filled (JSON-escaped) from the run's values."""
        if not body or b"{" not in body:
            return body
        for name, value in self.values.items():
            body = body.replace(b"{" + name.encode() + b"}", json.dumps(value)[1:-1].encode())
        return without_unknown_ids(body)

    async def send(self, request: HttpRequest) -> HttpAnswer:
        """Send once; the answer or the transport error, within the request's timeout."""
        path = self.fill(request.path)
        answer = HttpAnswer(request, sent_path=path, sent_body=self.fill_body(request.body))
        try:
            self.count(request.suite, path=request.path)
        except RequestBudgetSpent as exc:
            answer.error, answer.error_detail = "refused-by-budget", str(exc)
            return answer
        headers = dict(request.headers)
        if request.auth:
            headers.update(self.credential(request.auth))
        client = self._oneshot if request.fresh_connection else self._client
        limit = request.timeout_s or self.timeout_s
        started = time.perf_counter()
        try:
            await self._exchange(client, request, path, headers, answer, limit)
        except (httpx.HTTPError, asyncio.TimeoutError, OSError, ValueError) as exc:
            if _switched_protocols(exc) and answer.status is None:
                answer.status = 101
                answer.error_detail = "101 Switching Protocols to a request that asked for no " \
                    "upgrade"
            else:
                answer.error = _classify(exc, answer.status is not None)
                answer.error_detail = f"{type(exc).__name__}: {exc}".strip(": ")[:300]
        answer.elapsed_s = time.perf_counter() - started
        status = answer.status or answer.error
        self.timeline.add(f"{request.method} {path} -> {status}", started,
                          ok=answer.error is None, key=request.key)
        return answer

    async def _exchange(self, client: httpx.AsyncClient, request: HttpRequest, path: str,
                        headers: dict[str, str], answer: HttpAnswer, limit: float) -> None:
        """Status and headers within `limit`, then the body within `limit` more, to the cap.

        httpx's timeouts bound each socket read, so a server that trickles a byte a second
        would never trip them: both phases have a deadline of their own.
        """
        timeout = httpx.Timeout(limit, connect=min(limit, 5.0))
        built = client.build_request(request.method, path, headers=headers,
                                     content=answer.sent_body, timeout=timeout)
        response = await asyncio.wait_for(client.send(built, stream=True), limit + 0.5)
        try:
            answer.status = response.status_code
            answer.headers = {k.lower(): v for k, v in response.headers.items()}
            location = response.extensions.get("smoke_location")
            if location:
                answer.headers["location"] = ", ".join(location)
            self.budget.see(answer.headers, login=request.key.split(":")[0] == "login")
            decoder = BoundedDecoder(answer.headers.get("content-encoding", "").strip().lower(),
                                     self.read_cap)
            try:
                await asyncio.wait_for(self._read_body(response, decoder), limit + 0.5)
            finally:
                answer.body, answer.truncated = bytes(decoder.out), decoder.truncated
            if answer.status == 429:
                self.budget.rate_limited(answer.headers, answer.json())
            if decoder.truncated:
                answer.error = "oversized"
                answer.error_detail = f"the body is larger than the read cap " \
                    f"({self.read_cap} bytes{' decoded' if decoder.decoding else ''})"
        finally:
            with contextlib.suppress(httpx.HTTPError, OSError):
                await response.aclose()

    @staticmethod
    async def _read_body(response: httpx.Response, decoder: BoundedDecoder) -> None:
        async for chunk in response.aiter_raw(CHUNK):
            decoder.feed(chunk)
            if decoder.truncated:
                return

    def open_ahead(self, count: int) -> None:
        """Open `count` connections to the target now (no request): the next requests that
        find no idle connection take them instead of connecting."""
        self.ahead.open(count)

    async def close(self) -> None:
        await self._client.aclose()
        await self._oneshot.aclose()
        await self.ahead.close()


UNKNOWN_ID = re.compile(r"^\{(user|peer|outsider|other)_id\}$")


def without_unknown_ids(body: bytes) -> bytes:
    """A JSON object body without the list elements that are still an identity's id
    placeholder (`"{peer_id}"` when the peer's login was refused or not sent): a placeholder
    is never sent as a value."""
    if b'_id}"' not in body:
        return body
    try:
        data = json.loads(body)
    except ValueError:
        return body
    if not isinstance(data, dict):
        return body
    kept = {key: [item for item in value if not (isinstance(item, str) and UNKNOWN_ID.match(item))]
            if isinstance(value, list) else value for key, value in data.items()}
    return body if kept == data else json.dumps(kept).encode()

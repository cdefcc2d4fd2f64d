"""What a probe sends and what came back: plain records the judge reads as evidence."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from harness.sanitize.escape import safe_excerpt

MAX_JSON_DEPTH = 64


@dataclass(frozen=True)
class HttpRequest:
    """One HTTP request as data; `auth="valid"` gets the run's credential at send time.

    `path` may hold `{name}` placeholders filled from values the run has (e.g. the created
    conversation's id); `fresh_connection` sends it on a connection nobody reuses (for bodies
    the server may leave unread).
    """

    key: str
    method: str
    path: str
    suite: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None
    label: str = ""
    auth: str | None = None
    fresh_connection: bool = False
    timeout_s: float | None = None

    @property
    def request_line(self) -> str:
        return f"{self.method} {self.path}"

    def __repr__(self) -> str:
        """Headers and body stay out: they may hold credentials."""
        return f"HttpRequest({self.key})"


def json_request(key: str, method: str, path: str, suite: str, body: Any = None, *,
                 label: str = "", auth: str | None = None, headers: dict[str, str] | None = None,
                 fresh_connection: bool = False, timeout_s: float | None = None) -> HttpRequest:
    """An HttpRequest whose body (if any) is JSON."""
    items = dict(headers or {})
    content = None
    if body is not None:
        content = json.dumps(body).encode()
        items.setdefault("content-type", "application/json")
    return HttpRequest(key, method.upper(), path, suite, tuple(sorted(items.items())), content,
                       label, auth, fresh_connection, timeout_s)


@dataclass
class HttpAnswer:
    """What came back: status, headers and a capped body, or the transport error instead.

    `error` is one of: connect, timeout, protocol, oversized, reset, body-timeout, tls, invalid-url,
    refused-by-budget. `truncated` says the body was cut at the read cap (or never ended).
    """

    request: HttpRequest
    sent_path: str = ""
    sent_body: bytes | None = None  # the body as sent (its placeholders filled)
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    truncated: bool = False
    elapsed_s: float = 0.0
    error: str | None = None
    error_detail: str = ""
    quiet_elapsed_s: float | None = None

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    def json(self) -> Any:
        """The body parsed as JSON; None when it is not JSON, too deep, or truncated."""
        if self.truncated or not self.body or _nesting(self.body) > MAX_JSON_DEPTH:
            return None
        try:
            return json.loads(self.body)
        except (ValueError, RecursionError):
            return None

    @property
    def retry_after(self) -> str:
        """When to retry, as the target said it: the Retry-After header, else the JSON body's
        `retryAfter`/`retry_after` (top level or under `error`), else "not given"."""
        if self.headers.get("retry-after", "").strip():
            return self.headers["retry-after"].strip()
        seconds = retry_after_in_body(self.json())
        return f"{seconds:g} s (in the body)" if seconds is not None else "not given"

    @property
    def latency_ms(self) -> int:
        seconds = self.quiet_elapsed_s if self.quiet_elapsed_s is not None else self.elapsed_s
        return round(seconds * 1000)

    def excerpt(self, limit: int = 160) -> str:
        return safe_excerpt(self.body, limit)


RETRY_AFTER_KEYS = ("retryAfter", "retry_after", "retryAfterSeconds", "retry_after_s")


def retry_after_in_body(body: Any) -> float | None:
    """Seconds to wait from a 429's JSON body: `{"retryAfter": 900}`, `{"retry_after": "900"}`,
    or the same under `error`; None when it says nothing usable."""
    for scope in (body, body.get("error") if isinstance(body, dict) else None):
        if not isinstance(scope, dict):
            continue
        for key in RETRY_AFTER_KEYS:
            value = scope.get(key)
            if isinstance(value, bool):
                continue
            try:
                seconds = float(value) if isinstance(value, (int, float, str)) else None
            except ValueError:
                seconds = None
            if seconds is not None and 0 <= seconds < 10**7:
                return seconds
    return None


def _nesting(body: bytes) -> int:
    """The deepest bracket nesting of a JSON text (strings skipped), without parsing it."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            deepest = max(deepest, depth)
            if deepest > MAX_JSON_DEPTH:
                return deepest
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest

"""Diagnosis: the one place where evidence (a response, an error) becomes a cause code."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from harness.contract import Contract
from harness.engineio import HandshakeError, decode_error, parse_open_packet
from harness.findings import Finding
from harness.healthrules import HealthRules
from harness.probe import ProbeResult
from harness.rest_checks import created_id
from harness.sanitize.redact import Redactor
from harness.socket_diagnosis import SocketRules

EXCERPT_CHARS = 160
DETAIL_CHARS = 4000
_NGROK_MARKER = re.compile(r"ERR_NGROK_(\d+)")
_HTML_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_HTML_HIDDEN = re.compile(r"<(script|style|head)\b.*?</\1>", re.IGNORECASE | re.DOTALL)
_HTML_TAG = re.compile(r"<[^>]+>")
NGROK_CODES: Mapping[str, tuple[str, str]] = {
    "3200": ("ngrok-tunnel-offline", "the ngrok endpoint is offline (agent not running or an "
             "old URL)"),
    "8012": ("ngrok-upstream-refused", "the tunnel is up but nothing listens on its local port: "
             "is the service on the port the tunnel forwards to?"),
    "6024": ("ngrok-browser-warning", "ngrok served its browser-warning page instead of the API"),
    "3004": ("upstream-unreachable", "ngrok got an invalid HTTP response from the upstream"),
    "725": ("rate-limited", "the ngrok account's bandwidth limit is exceeded"),
    "727": ("rate-limited", "the ngrok account's request limit is exceeded"),
    "6022": ("ngrok-browser-warning", "ngrok serves an interstitial instead of HTML for an "
             "agent without an authtoken: run `ngrok config add-authtoken <token>`"),
}
NGROK_DOCS = "https://ngrok.com/docs/errors/err_ngrok_{code}"


class Diagnoser(HealthRules, SocketRules):
    """Maps probe evidence to findings using the contract's error signatures."""

    def __init__(self, contract: Contract, redactor: Redactor) -> None:
        self.contract = contract
        self.redactor = redactor
        sigs = contract.error_signatures
        self._socketio_proxy = [s.lower() for s in sigs.socketio_proxy]
        self._proxy_error = [s.lower() for s in sigs.proxy_error]
        self._generic = [s.lower() for s in sigs.generic]
        self._stack = [re.compile(p) for p in sigs.stack_trace]

    def evidence(self, result: ProbeResult) -> str:
        """One redacted line: request, status or error, body excerpt, time."""
        took = f"{result.elapsed_s * 1000:.0f} ms"
        line = result.probe.request_line
        if result.probe.label:
            line += f" ({result.probe.label})"
        if result.error:
            return f"{line} -> no HTTP answer: {self.redactor.text(result.error_detail)} [{took}]"
        excerpt = " ".join(_readable(result.text, self.is_html(result)).split())[:EXCERPT_CHARS]
        kind = result.content_type.split(";")[0] or "no content-type"
        return f"{line} -> {result.status} {kind} {self.redactor.text(excerpt)!r} [{took}]"

    def finding(self, code: str, message: str, result: ProbeResult | None = None) -> Finding:
        if result is None:
            return Finding(code, self.redactor.text(message))
        return Finding(code, self.redactor.text(message), self.evidence(result),
                       self.exchange(result))

    def exchange(self, result: ProbeResult) -> str:
        """The redacted request and response, for report attachments."""
        probe = result.probe
        lines = [probe.request_line]
        lines += [f"{k}: {v}" for k, v in self.redactor.headers(dict(probe.headers)).items()]
        if probe.content:
            lines += ["", self.redactor.text(probe.content[:DETAIL_CHARS].decode(
                "utf-8", errors="replace"))]
        lines.append("")
        if result.error:
            lines.append(f"no HTTP answer after {result.elapsed_s:.2f} s: "
                         f"{self.redactor.text(result.error_detail)}")
            return "\n".join(lines)
        lines.append(f"HTTP {result.status} ({result.elapsed_s * 1000:.0f} ms)")
        lines += [f"{k}: {v}" for k, v in self.redactor.headers(result.headers).items()]
        lines += ["", self.redactor.text(result.text[:DETAIL_CHARS])]
        return "\n".join(lines)

    def ngrok_code(self, result: ProbeResult) -> str | None:
        """ngrok's own error code: the `ngrok-error-code` header first, the body marker second."""
        header = re.search(r"\d+", result.headers.get("ngrok-error-code", ""))
        if header:
            return header.group(0)
        marker = _NGROK_MARKER.search(result.text[:4096])
        return marker.group(1) if marker else None

    def has_stack_trace(self, result: ProbeResult) -> bool:
        return any(pattern.search(result.text) for pattern in self._stack)

    @staticmethod
    def is_html(result: ProbeResult) -> bool:
        """An HTML page (an error page, an ngrok page, an SPA index) rather than an API answer."""
        head = result.text[:512].lstrip().lower()
        return "html" in result.content_type or head.startswith(("<!doctype html", "<html"))

    def unexpected(self, result: ProbeResult, expected: str) -> Finding:
        """Classify a response that is not the route's own answer; `expected` says what was."""
        finding = self.leak(result, expected)
        if finding is not None:
            return finding
        what = f"{result.probe.request_line} should answer {expected}"
        kind = "an HTML page" if self.is_html(result) else f"status {result.status}"
        return self.finding("generic-503-leak", f"{what} but answered {kind}", result)

    def leak(self, result: ProbeResult, expected: str) -> Finding | None:
        """The finding when `result` carries a known failure signature (ngrok, proxy, stack
        trace, generic error, 5xx, no answer at all); None when it carries none."""
        text = result.text.lower()
        what = f"{result.probe.request_line} should answer {expected}"
        code = self.ngrok_code(result)
        if code is not None:
            cause, meaning = NGROK_CODES.get(code, ("upstream-unreachable",
                                                    f"ngrok error ERR_NGROK_{code}"))
            return self.finding(cause, f"{what}; ngrok answered ERR_NGROK_{code}: {meaning} "
                                f"({NGROK_DOCS.format(code=code)})", result)
        if result.error == "no-response":
            return self.finding("no-response", f"{what} but sent nothing within "
                                f"{result.elapsed_s:.1f} s", result)
        if result.error:
            return self.finding("target-unreachable", f"{what} but the target could not be "
                                "reached", result)
        if result.status == 429:
            retry = result.headers.get("retry-after", "not given")
            return self.finding("rate-limited", f"{what} but the target rate-limited the "
                                f"harness (Retry-After: {retry})", result)
        if any(sig in text for sig in self._socketio_proxy):
            if result.probe.path.startswith(self.contract.socketio.path.rstrip("/")):
                return self.finding("proxy-target-missing", f"{what} but the Socket.IO path "
                                    "answered the proxy's configuration error", result)
            return self.finding("socketio-proxy-intercepts-rest", f"{what} but answered "
                                "the Socket.IO proxy's error: the proxy intercepts REST "
                                "routes", result)
        if result.status in (502, 504) or any(sig in text for sig in self._proxy_error):
            return self.finding("upstream-unreachable", f"{what} but the gateway could not "
                                "reach the service behind it", result)
        if self.has_stack_trace(result):
            return self.finding("stack-trace-leak", f"{what} but the body carries a stack "
                                "trace or internal paths", result)
        if result.status is not None and result.status >= 500:
            return self.finding("generic-503-leak", f"{what} but answered a generic "
                                f"{result.status}", result)
        if any(sig in text for sig in self._generic):
            return self.finding("generic-503-leak", f"{what} but answered {result.status} "
                                "with a generic error message", result)
        return None

    def auth_rejection(self, result: ProbeResult, accepted: Collection[int]) -> Finding | None:
        """A request with no or a bad token must be rejected with an accepted 4xx + JSON."""
        if result.status is not None and 200 <= result.status < 300:
            if self.ngrok_code(result) or self.is_html(result):
                return self.unexpected(result, self._statuses(accepted))
            return self.finding("auth-not-enforced", f"{result.probe.request_line} accepted "
                                f"a request with {result.probe.label or 'no valid token'}",
                                result)
        if result.status in accepted:
            if self.has_stack_trace(result):
                return self.finding("stack-trace-leak", f"{result.probe.request_line} "
                                    "rejected the request but its body leaks a stack trace",
                                    result)
            if result.json() is None:
                if self._looks_like_proxy_error(result):
                    return self.unexpected(result, self._statuses(accepted))
                body = "an HTML page" if self.is_html(result) else "a body that is not JSON"
                return self.finding("wrong-auth-status", f"{result.probe.request_line} "
                                    f"rejected the request with {result.status} but {body}; "
                                    "the contract expects a JSON error", result)
            return None
        if result.status is not None and 400 <= result.status < 500 and result.status != 429:
            if self._looks_like_proxy_error(result):
                return self.unexpected(result, self._statuses(accepted))
            return self.finding("wrong-auth-status", f"{result.probe.request_line} rejected "
                                f"the request with {result.status}, the contract expects "
                                f"{self._statuses(accepted)}", result)
        return self.unexpected(result, self._statuses(accepted))

    def _looks_like_proxy_error(self, result: ProbeResult) -> bool:
        text = result.text.lower()
        return self.ngrok_code(result) is not None or any(
            sig in text for sig in self._socketio_proxy + self._proxy_error)

    @staticmethod
    def _statuses(statuses: Collection[int]) -> str:
        return " or ".join(str(s) for s in sorted(statuses))

    def expect(self, result: ProbeResult, statuses: Collection[int], *,
               json: bool = True) -> Finding | None:
        """The route's own answer: a status in `statuses` (with a JSON body when `json`)."""
        expected = self._statuses(statuses) + (" with JSON" if json else "")
        line = result.probe.request_line
        from_ngrok = "ngrok-error-code" in result.headers or (
            self.ngrok_code(result) is not None and result.json() is None)
        if result.status in statuses and not result.error and not from_ngrok:
            if not json or result.json() is not None:
                return None
            if self.is_html(result):
                return self.unexpected(result, expected)
            return self.leak(result, expected) or self.finding(
                "contract-mismatch", f"{line} answered {result.status} with a body that is "
                "not JSON", result)
        if result.error or result.status is None or result.status >= 500 or \
                self.is_html(result):
            return self.unexpected(result, expected)
        return self.leak(result, expected) or self.finding(
            "contract-mismatch", f"{line} answered {result.status}, the contract expects "
            f"{expected}", result)

    def bad_input(self, result: ProbeResult, with_token: bool) -> Finding | None:
        """A malformed, mistyped or oversized body must get a 4xx without internals."""
        line = f"{result.probe.request_line} with {result.probe.label or 'a bad body'}"
        if result.status is not None and 400 <= result.status < 500 and result.status != 429:
            if self.has_stack_trace(result):
                return self.finding("stack-trace-leak", f"{line} was rejected with "
                                    f"{result.status} but the body leaks a stack trace or "
                                    "internal paths", result)
            if self._looks_like_proxy_error(result):
                return self.unexpected(result, "a 4xx")
            return None
        if result.status is not None and 200 <= result.status < 300 and \
                not self.ngrok_code(result) and not self.is_html(result):
            if not with_token:
                return self.finding("auth-not-enforced", f"{line} and no token was accepted "
                                    f"with {result.status}", result)
            return self.finding("contract-mismatch", f"{line} was accepted with "
                                f"{result.status}; the route should reject it with a 4xx",
                                result)
        return self.unexpected(result, "a 4xx")

    def created(self, result: ProbeResult, statuses: Collection[int],
                id_fields: Sequence[str]) -> Finding | None:
        """A create route: a status in `statuses` and the new object's id in the JSON body."""
        finding = self.expect(result, statuses)
        if finding is None and created_id(result.json(), id_fields) is None:
            return self.finding("contract-mismatch", f"{result.probe.request_line} answered "
                                f"{result.status} but its body has no {' or '.join(id_fields)}",
                                result)
        return finding

    def health(self, result: ProbeResult) -> Finding | None:
        """`/api/health`: 200 JSON with a status among the contract's accepted values."""
        if result.status != 200:
            if result.error or result.status is None or result.status >= 500 or \
                    self.ngrok_code(result):
                finding = self.unexpected(result, "200 with the health document")
                if finding.cause in ("generic-503-leak",):
                    return self.finding("health-down", finding.message, result)
                return finding
            return self.finding("health-down", f"{result.probe.path} answered "
                                f"{result.status}, not 200", result)
        body = result.json()
        if not isinstance(body, dict):
            if self.ngrok_code(result):
                return self.unexpected(result, "200 with the health document")
            return self.finding("health-down", f"{result.probe.path} did not answer a JSON "
                                "object", result)
        status = _health_status(body)
        if status not in self.contract.health.status_values:
            return self.finding("health-down", f"{result.probe.path} reports status "
                                f"{status!r}, expected one of "
                                f"{self.contract.health.status_values}", result)
        return None

    def handshake(self, result: ProbeResult) -> Finding | None:
        """The Engine.IO polling handshake must answer a valid v4 open packet."""
        if result.status != 200 or result.error:
            decoded = decode_error(result.text) if result.status in (400, 403) else None
            if decoded:
                return self.finding("socketio-handshake-failed", f"the polling handshake "
                                    f"was refused: {decoded}", result)
            if result.status is not None and 400 <= result.status < 500 and \
                    not self._looks_like_proxy_error(result):
                return self.finding("socketio-handshake-failed", "the polling handshake "
                                    f"answered {result.status}", result)
            return self.unexpected(result, "a 200 Engine.IO open packet")
        try:
            parse_open_packet(result.text)
        except HandshakeError as exc:
            if self.ngrok_code(result):
                return self.unexpected(result, "a 200 Engine.IO open packet")
            return self.finding("socketio-handshake-failed", str(exc), result)
        return None


def _readable(text: str, html: bool) -> str:
    """A body as a person would read it: for an HTML page, its title and visible text."""
    if not html:
        return text
    title = _HTML_TITLE.search(text)
    visible = _HTML_TAG.sub(" ", _HTML_HIDDEN.sub(" ", text))
    return f"[HTML: {title.group(1).strip()}] {visible}" if title else f"[HTML] {visible}"


def _health_status(body: Mapping[str, Any]) -> Any:
    if "status" in body:
        return body["status"]
    for key in ("ok", "success"):
        if key in body:
            return "ok" if body[key] is True else body[key]
    return None

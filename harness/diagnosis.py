"""Diagnosis: the one place where evidence (a response, an error) becomes a cause code."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Any

from harness.contract import Contract
from harness.engineio import HandshakeError, decode_error, parse_open_packet
from harness.findings import Finding
from harness.probe import ProbeResult
from harness.redact import Redactor

EXCERPT_CHARS = 160
_NGROK_MARKER = re.compile(r"ERR_NGROK_(\d+)")
NGROK_CODES: Mapping[str, tuple[str, str]] = {
    "3200": ("ngrok-tunnel-offline", "the ngrok endpoint is offline (agent not running or an "
             "old URL)"),
    "8012": ("ngrok-upstream-refused", "the tunnel is up but nothing listens on its local port: "
             "is the service on the port the tunnel forwards to?"),
    "6024": ("ngrok-browser-warning", "ngrok served its browser-warning page instead of the API"),
    "3004": ("upstream-unreachable", "ngrok got an invalid HTTP response from the upstream"),
    "725": ("rate-limited", "the ngrok account's bandwidth limit is exceeded"),
    "727": ("rate-limited", "the ngrok account's request limit is exceeded"),
}


class Diagnoser:
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
        excerpt = " ".join(result.text.split())[:EXCERPT_CHARS]
        kind = result.content_type.split(";")[0] or "no content-type"
        return f"{line} -> {result.status} {kind} {self.redactor.text(excerpt)!r} [{took}]"

    def finding(self, code: str, message: str, result: ProbeResult | None = None) -> Finding:
        return Finding(code, self.redactor.text(message), self.evidence(result) if result else "")

    def ngrok_code(self, result: ProbeResult) -> str | None:
        """ngrok's own error code: the `ngrok-error-code` header first, the body marker second."""
        header = re.search(r"\d+", result.headers.get("ngrok-error-code", ""))
        if header:
            return header.group(0)
        marker = _NGROK_MARKER.search(result.text[:4096])
        return marker.group(1) if marker else None

    def has_stack_trace(self, result: ProbeResult) -> bool:
        return any(pattern.search(result.text) for pattern in self._stack)

    def unexpected(self, result: ProbeResult, expected: str) -> Finding:
        """Classify a response that is not the route's own answer; `expected` says what was."""
        text = result.text.lower()
        what = f"{result.probe.request_line} should answer {expected}"
        code = self.ngrok_code(result)
        if code is not None:
            cause, meaning = NGROK_CODES.get(code, ("upstream-unreachable",
                                                    f"ngrok error ERR_NGROK_{code}"))
            return self.finding(cause, f"{what}; ngrok answered ERR_NGROK_{code}: {meaning}",
                                result)
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
        kind = "an HTML page" if "html" in result.content_type else f"status {result.status}"
        return self.finding("generic-503-leak", f"{what} but answered {kind}", result)

    def auth_rejection(self, result: ProbeResult, accepted: Collection[int]) -> Finding | None:
        """A request with no or a bad token must be rejected with an accepted 4xx + JSON."""
        if result.status is not None and 200 <= result.status < 300:
            return self.finding("auth-not-enforced", f"{result.probe.request_line} accepted "
                                f"a request with {result.probe.label or 'no valid token'}",
                                result)
        if result.status in accepted:
            if self.has_stack_trace(result):
                return self.finding("stack-trace-leak", f"{result.probe.request_line} "
                                    "rejected the request but its body leaks a stack trace",
                                    result)
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


def _health_status(body: Mapping[str, Any]) -> Any:
    if "status" in body:
        return body["status"]
    for key in ("ok", "success"):
        if key in body:
            return "ok" if body[key] is True else body[key]
    return None

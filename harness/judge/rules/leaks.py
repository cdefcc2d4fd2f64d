"""Answers that are not the route's own: ngrok, transport, redirects, proxies, traces, 5xx."""

from __future__ import annotations

import html
import re
from collections.abc import Collection
from collections.abc import Mapping as MappingABC
from dataclasses import replace
from urllib.parse import urlsplit

from harness.judge.causes import Cause
from harness.judge.context import Context, is_html
from harness.judge.findings import Finding
from harness.judge.normalise import Dependency, dependency_in
from harness.records.http import HttpAnswer
from harness.sanitize.escape import safe_excerpt

_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_NGROK_MARKER = re.compile(r"ERR_NGROK_(\d+)")
NGROK_CODES: MappingABC[str, tuple[Cause, str]] = {
    "3200": (Cause.NGROK_TUNNEL_OFFLINE, "the ngrok endpoint is offline (agent not running or "
             "an old URL)"),
    "8012": (Cause.NGROK_UPSTREAM_REFUSED, "the tunnel is up but nothing listens on its local "
             "port: is the service on the port the tunnel forwards to?"),
    "6024": (Cause.NGROK_BROWSER_WARNING, "ngrok served its browser-warning page instead of "
             "the API"),
    "3004": (Cause.UPSTREAM_UNREACHABLE, "ngrok got an invalid HTTP response from the upstream"),
    "725": (Cause.RATE_LIMITED, "the ngrok account's bandwidth limit is exceeded"),
    "727": (Cause.RATE_LIMITED, "the ngrok account's request limit is exceeded"),
    "6022": (Cause.NGROK_BROWSER_WARNING, "ngrok serves an interstitial for an agent without an "
             "authtoken: run `ngrok config add-authtoken <token>`"),
}
NGROK_DOCS = "https://ngrok.com/docs/errors/err_ngrok_{code}"


def ngrok_code(answer: HttpAnswer) -> str | None:
    """ngrok's own error code: the `ngrok-error-code` header first, the body marker second."""
    header = re.search(r"\d+", answer.headers.get("ngrok-error-code", ""))
    if header:
        return header.group(0)
    marker = _NGROK_MARKER.search(answer.text[:4096])
    return marker.group(1) if marker else None


def has_stack_trace(ctx: Context, answer: HttpAnswer) -> bool:
    """A trace in the body as sent, or in an HTML page once `<br>` and entities are read
    (Express's development error page writes `<br> &nbsp; &nbsp;at f (/app/x.js:1:2)`)."""
    text = answer.text[:65536]
    if any(pattern.search(text) for pattern in ctx.stack):
        return True
    if "<br" not in text and "&nbsp;" not in text:
        return False
    read = html.unescape(_BREAK.sub("\n", text)).replace("\xa0", " ")
    return any(pattern.search(read) for pattern in ctx.stack)


def looks_like_proxy_error(ctx: Context, answer: HttpAnswer) -> bool:
    text = answer.text[:65536].lower()
    return ngrok_code(answer) is not None or any(
        sig in text for sig in ctx.socketio_proxy + ctx.proxy_error)


def statuses(values: Collection[int]) -> str:
    return " or ".join(str(s) for s in sorted(values))


def transport(ctx: Context, answer: HttpAnswer, what: str) -> Finding | None:
    """A probe that got no complete answer: say what broke, not "unreachable" by default."""
    error = answer.error
    if error is None and not answer.truncated:
        return None
    if error == "timeout":
        return ctx.finding(Cause.NO_RESPONSE, f"{what} but sent no answer within "
                           f"{answer.elapsed_s:.1f} s", answer)
    if error == "body-timeout":
        return ctx.finding(Cause.OVERSIZED_BODY, f"{what}; it answered {answer.status} at once "
                           "but the body never ended within the timeout", answer)
    if error == "oversized" or answer.truncated:
        return ctx.finding(Cause.OVERSIZED_BODY, f"{what} but answered {answer.status} with a "
                           f"body larger than the read cap ({answer.error_detail or 'truncated'})",
                           answer)
    if answer.status is not None:
        return ctx.finding(Cause.CONTRACT_MISMATCH, f"{what}; it answered {answer.status} but "
                           f"the answer broke off ({answer.error_detail})", answer)
    if error in ("connect", "tls", "invalid-url"):
        elsewhere = _other_origin(ctx, answer)
        if elsewhere:  # the target answers; a service it sends clients to directly does not
            return ctx.finding(Cause.UPSTREAM_UNREACHABLE, f"{what} but the service at "
                               f"{elsewhere} refused the connection ({error}): the gateway "
                               "answers, the service behind it (reached directly there) is "
                               "down or not on that port", answer)
        return ctx.finding(Cause.TARGET_UNREACHABLE, f"{what} but the target could not be "
                           f"reached ({error})", answer)
    return ctx.finding(Cause.NO_RESPONSE, f"{what} but the connection ended without an HTTP "
                       f"answer ({answer.error_detail})", answer)


def _other_origin(ctx: Context, answer: HttpAnswer) -> str:
    """host:port of a request sent to another origin than the target (socketio.url, the
    login's url), else ""."""
    sent = answer.sent_path or answer.request.path
    if not sent.startswith(("http://", "https://")):
        return ""
    there, target = urlsplit(sent), urlsplit(ctx.config.base_url)
    if (there.scheme, there.netloc) == (target.scheme, target.netloc):
        return ""
    return there.netloc


def leak(ctx: Context, answer: HttpAnswer, expected: str) -> Finding | None:
    """The finding when `answer` carries a known failure signature; None when it carries none."""
    what = f"{answer.request.method} {answer.sent_path or answer.request.path} should answer " \
           f"{expected}"
    code = ngrok_code(answer)
    if code is not None:
        cause, meaning = NGROK_CODES.get(code, (Cause.UPSTREAM_UNREACHABLE,
                                                f"ngrok error ERR_NGROK_{code}"))
        return ctx.finding(cause, f"{what}; ngrok answered ERR_NGROK_{code}: {meaning} "
                           f"({NGROK_DOCS.format(code=code)})", answer)
    broken = transport(ctx, answer, what)
    if broken is not None:
        return broken
    status = answer.status or 0
    if status == 429:
        return ctx.finding(Cause.RATE_LIMITED, f"{what} but the target rate-limited the harness "
                           f"(Retry-After: {answer.retry_after})", answer)
    if 300 <= status < 400:
        location = safe_excerpt(answer.headers.get("location", "nowhere"), 200)
        return ctx.finding(Cause.REDIRECT, f"{what} but redirected ({status}) to {location}; "
                           "the harness does not follow redirects", answer)
    if status == 101:
        return ctx.finding(Cause.CONTRACT_MISMATCH, f"{what} but switched protocols (101) on "
                           "a REST route", answer)
    down = dependency_in(answer.text[:65536]) if status >= 500 else None
    if down is not None:
        return dependency_down(ctx, answer, down, what)
    text = answer.text[:65536].lower()
    if status >= 500 and ("invalid url" in text or "err_invalid_url" in text):
        return ctx.finding(Cause.UPSTREAM_UNREACHABLE, f"{what} but answered {status} 'Invalid "
                           "URL': the gateway's URL for the service behind it is not a URL; "
                           "fix that setting (e.g. http://messaging:5005) and restart the "
                           "gateway", answer)
    if any(sig in text for sig in ctx.socketio_proxy):
        socket_path = ctx.contract.socketio.path.rstrip("/")
        if (answer.sent_path or answer.request.path).startswith(socket_path):
            return ctx.finding(Cause.PROXY_TARGET_MISSING, f"{what} but the Socket.IO path "
                               "answered the proxy's configuration error", answer)
        return ctx.finding(Cause.SOCKETIO_PROXY_INTERCEPTS_REST, f"{what} but answered the "
                           "Socket.IO proxy's error: the proxy intercepts REST routes", answer)
    if status in (502, 504) or (status >= 500 or status == 0) and \
            any(sig in text for sig in ctx.proxy_error):
        return ctx.finding(Cause.UPSTREAM_UNREACHABLE, f"{what} but the gateway could not reach "
                           f"the service behind it ({status})", answer)
    if has_stack_trace(ctx, answer):
        return ctx.finding(Cause.STACK_TRACE_LEAK, f"{what} but the body carries a stack trace "
                           "or internal paths", answer)
    if status == 404:
        page = " (an HTML page)" if is_html(answer) else ""
        return ctx.finding(Cause.ROUTE_NOT_FOUND, f"{what} but answered 404{page}: the route "
                           "is not there as documented", answer)
    if status >= 500:
        kind = "an HTML error page" if is_html(answer) else f"a generic {status}"
        return ctx.finding(Cause.GENERIC_503_LEAK, f"{what} but answered {kind}", answer)
    return None


def dependency_down(ctx: Context, answer: HttpAnswer, down: Dependency, what: str) -> Finding:
    """The service answered, but its database, cache or broker did not."""
    found = ctx.finding(Cause.DEPENDENCY_DOWN, f"{what} but the service answered "
                        f"{answer.status}: its {down.name} is down ({down.said!r})", answer)
    return replace(found, dependency=down.name)


def unexpected(ctx: Context, answer: HttpAnswer, expected: str) -> Finding:
    """Any answer that is not `expected`: a known signature, else a contract mismatch."""
    found = leak(ctx, answer, expected)
    if found is not None:
        return found
    kind = "an HTML page" if is_html(answer) else f"status {answer.status}"
    return ctx.finding(Cause.CONTRACT_MISMATCH, f"{answer.request.method} "
                       f"{answer.sent_path or answer.request.path} should answer {expected} but "
                       f"answered {kind}", answer)

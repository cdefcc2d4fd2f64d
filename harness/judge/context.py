"""What every rule needs: the contract's signatures, the redactor, and how to show evidence."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

from harness.config import RunConfig
from harness.contract import Contract
from harness.judge.causes import Cause
from harness.judge.findings import Finding
from harness.records.forgery import FORGERIES, SHELL_MADE
from harness.records.http import HttpAnswer
from harness.sanitize.escape import escape_control, safe_excerpt
from harness.sanitize.redact import Redactor
from harness.sanitize.url import mask_userinfo

EXCERPT_BYTES = 160
DETAIL_BYTES = 4000
_HTML_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_HTML_HIDDEN = re.compile(r"<(script|style|head)\b.*?</\1>", re.IGNORECASE | re.DOTALL)
_HTML_TAG = re.compile(r"<[^>]+>")
TOKEN_SHELL = {"valid": "$SMOKE_TOKEN", "peer": "$SMOKE_PEER_TOKEN",
               "outsider": "$SMOKE_OUTSIDER_TOKEN",
               # the forgeries of the run's token (records.forgery), as a shell makes them
               "forged-signature": "${SMOKE_TOKEN%.*}.Zm9yZ2VkLXNpZ25hdHVyZQ",
               "alg-none": "$(printf %s '{\"alg\":\"none\"}' | base64 | tr -d =)"
                           ".$(echo $SMOKE_TOKEN | cut -d. -f2).",
               "expired": "$(python -m harness token expired)"}  # reads $SMOKE_JWT_SECRET
WHOSE = {"valid": "the run", "peer": "the peer", "outsider": "the outsider",
         **dict.fromkeys(FORGERIES, "a forgery of the run")}


@dataclass
class Context:
    """The run's configuration and redactor, with the contract's signatures compiled."""

    config: RunConfig
    redactor: Redactor
    socketio_proxy: list[str] = field(init=False)
    proxy_error: list[str] = field(init=False)
    generic: list[str] = field(init=False)
    stack: list[re.Pattern[str]] = field(init=False)

    def __post_init__(self) -> None:
        sigs = self.config.contract.error_signatures
        self.socketio_proxy = [s.lower() for s in sigs.socketio_proxy]
        self.proxy_error = [s.lower() for s in sigs.proxy_error]
        self.generic = [s.lower() for s in sigs.generic]
        self.stack = [re.compile(p) for p in sigs.stack_trace]

    @property
    def contract(self) -> Contract:
        return self.config.contract

    def clean(self, text: str) -> str:
        """Redacted, then control characters escaped: safe for a terminal and a report."""
        return escape_control(self.redactor.text(text))

    def finding(self, cause: Cause, message: str, answer: HttpAnswer | None = None,
                evidence: str = "", socket: bool = False) -> Finding:
        if answer is None:  # what was seen is then the message itself: never empty
            return Finding(cause, self.clean(message), self.clean(evidence or message),
                           reproduce=self.socket_reproduce() if socket else "")
        return Finding(cause, self.clean(message), self.evidence(answer),
                       self.reproduce(answer), answer.latency_ms)

    def evidence(self, answer: HttpAnswer) -> str:
        """One line: request, status or error, body excerpt, time."""
        request = answer.request
        line = f"{request.method} {answer.sent_path or request.path}"
        if request.label:
            line += f" ({request.label})"
        took = f"{answer.elapsed_s * 1000:.0f} ms"
        if answer.error and answer.status is None:
            return self.clean(f"{line} -> no HTTP answer: {answer.error_detail} [{took}]")
        kind = answer.content_type.split(";")[0] or "no content-type"
        body = readable(answer.text, is_html(answer))
        excerpt = " ".join(safe_excerpt(body, EXCERPT_BYTES * 2).split())[:EXCERPT_BYTES]
        tail = " (body truncated at the read cap)" if answer.truncated else \
            f" ({answer.error}: {answer.error_detail})" if answer.error else ""
        return self.clean(f"{line} -> {answer.status} {kind} {excerpt!r}{tail} [{took}]")

    def exchange(self, answer: HttpAnswer, bodies: bool = True) -> str:
        """The redacted request and response (a leaked connection string's credentials
        masked), for a check's steps and Allure's attachments; without `bodies`, their sizes
        only."""
        request = answer.request
        lines = [f"{request.method} {answer.sent_path or request.path}"]
        lines += [f"{k}: {v}" for k, v in self.redactor.headers(dict(request.headers)).items()]
        if request.auth:
            lines.append(f"({WHOSE[request.auth]}'s credential: ***)")
        if request.body:
            lines += ["", safe_excerpt(request.body, DETAIL_BYTES) if bodies else
                      f"(a body of {len(request.body)} bytes, not shown)"]
        lines.append("")
        if answer.status is None:
            lines.append(f"no HTTP answer after {answer.elapsed_s:.2f} s: {answer.error_detail}")
        else:
            lines.append(f"HTTP {answer.status} ({answer.elapsed_s * 1000:.0f} ms)")
            lines += [f"{k}: {escape_control(v)}"
                      for k, v in self.redactor.headers(answer.headers).items()]
            lines += ["", safe_excerpt(answer.body, DETAIL_BYTES) if bodies else
                      f"(a body of {len(answer.body)} bytes, not shown)"]
        return "\n".join(mask_userinfo(self.redactor.text(line)) for line in lines)

    def socket_reproduce(self) -> str:
        """The command that replays the raw Engine.IO handshake and upgrade (on a server that
        takes websockets only: the websocket opened directly)."""
        spec = self.contract.socketio
        base = spec.url or self.config.base_url
        mode = "" if spec.polling else " --transport websocket"
        return self.clean(f"python -m harness probe socketio {shlex.quote(base)} --path "
                          f"{shlex.quote(spec.path)} --timeout {self.config.timeout_s:g}{mode}")

    def reproduce(self, answer: HttpAnswer) -> str:
        """A curl line that sends the same request (the token as $SMOKE_TOKEN)."""
        request = answer.request
        path = answer.sent_path or request.path
        url = path if path.startswith(("http://", "https://")) else self.config.base_url + path
        def arg(text: str) -> str:  # redacted first, then quoted: the quotes stay whole
            return shlex.quote(self.clean(text))

        parts = ["curl", "-sS", "-i", "--max-time", f"{self.config.timeout_s:g}"]
        if request.method != "GET":
            parts += ["-X", request.method]
        parts.append(arg(url))
        parts += ["-H", arg("ngrok-skip-browser-warning: 1")]
        for name, value in request.headers:
            parts += ["-H", _shell_made(f"{name}: {value}") or arg(f"{name}: {value}")]
        if request.auth:  # only a variable's name: double quotes, so the shell expands it
            token = TOKEN_SHELL[request.auth]
            cookie = self.contract.auth.cookie_name
            header = f"cookie: {cookie}={token}" if cookie else \
                f"authorization: {self.contract.auth.scheme} {token}"
            parts += ["-H", f'"{header}"']
        body = answer.sent_body if answer.sent_body is not None else request.body
        if body is not None:
            if len(body) > 2048:
                parts += ["--data-binary", f"@<(head -c {len(body)} /dev/zero)"]
            else:
                parts += ["--data-binary", arg(body.decode("utf-8", "replace"))]
        return " ".join(parts)


def _shell_made(header: str) -> str | None:
    """A header carrying one of the harness's made-up credentials, double-quoted with the shell
    command that makes it (the redactor leaves a command whole, a literal it masks); None for
    any other header, or one a double-quoted word would change."""
    made = next((literal for literal in SHELL_MADE if literal in header), None)
    if made is None or any(char in header for char in '"$`\\!'):
        return None
    return f'"{header.replace(made, SHELL_MADE[made])}"'


def is_html(answer: HttpAnswer) -> bool:
    """An HTML page (an error page, an ngrok page, an SPA index) rather than an API answer."""
    head = answer.text[:512].lstrip().lower()
    return "html" in answer.content_type or head.startswith(("<!doctype html", "<html"))


def readable(text: str, html: bool) -> str:
    """A body as a person would read it: for an HTML page, its title and visible text."""
    if not html:
        return text
    title = _HTML_TITLE.search(text[:65536])
    visible = _HTML_TAG.sub(" ", _HTML_HIDDEN.sub(" ", text[:65536]))
    return f"[HTML: {title.group(1).strip()}] {visible}" if title else f"[HTML] {visible}"

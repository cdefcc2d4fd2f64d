"""Sanitising what hostile targets send: echoed secrets masked, injected controls escaped."""

from __future__ import annotations

import json

import httpx

from harness.sanitize.escape import escape_control, safe_excerpt
from harness.sanitize.redact import Redactor, secret_forms
from tests.hostile.gateway import PASSWORD, USERNAME
from tests.hostile.server import start

RAW_CONTROLS = [chr(c) for c in [*range(0x20), *range(0x7F, 0xA0), 0x202E]]


def test_echoed_password_and_token_are_masked_in_every_form() -> None:
    with start("echo", lifetime_s=30) as target, httpx.Client(base_url=target.url,
                                                               timeout=5) as http:
        login = http.post("/api/auth/login", json={"username": USERNAME, "password": PASSWORD})
        token = login.json()["token"]
        echoed = http.get("/api/messages", headers={"Authorization": f"Bearer {token}"})
    redactor = Redactor([PASSWORD, token])
    texts = [redactor.text(login.text), redactor.text(echoed.text),
             *redactor.headers(dict(echoed.headers)).values()]
    for text in texts:
        for form in secret_forms(PASSWORD) | secret_forms(token):
            assert form not in text


def test_injected_controls_are_escaped_in_excerpts_headers_and_messages() -> None:
    with start("terminal-injection", lifetime_s=30) as target, httpx.Client(
            base_url=target.url, timeout=5) as http:
        answers = [http.get("/api/messages"), http.post("/api/conversations"),
                   http.post("/api/messages")]
    shown = [safe_excerpt(answer.content, 65536) for answer in answers]
    shown += [escape_control(json.loads(answers[0].content)["error"])]
    shown += [escape_control(answer.headers["x-injected"]) for answer in answers]
    for text in shown:
        assert not any(char in text for char in RAW_CONTROLS), text
        assert "\\x1b" in text or "\\u001b" in text

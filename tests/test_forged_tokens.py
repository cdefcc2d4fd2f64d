"""The forged-signature and alg-none probes forge the run's own token when it is a JWT (its
claims, its user, its expiry: only the signature changed or gone), so a server that decodes
without verifying accepts them; with an opaque token they carry generic claims. A forgery of
the run's token is masked like the token, even when a server echoes it back encoded."""

from __future__ import annotations

import base64
import json
import secrets
import subprocess
import threading
import time
from collections.abc import Callable, Iterator

import httpx
import jwt
import pytest

from harness.engine import RunResult
from harness.records.forgery import ALG_NONE, CLAIMS_SUBJECT, FORGED_SIGNATURE
from harness.stacks.reference import ReferenceStack
from tests.conftest import HarnessRun
from tests.json_server import JsonHandler, serving

SECRET = secrets.token_urlsafe(32)


class TokenEcho(JsonHandler):
    """Login answers `token`; every other route echoes the token it was sent, base64-encoded
    (no JWT shape left to spot): 200 to any token with the login token's claims (it decodes
    without verifying), else 401; `seen` keeps what came, in order."""

    token = ""
    seen: list[tuple[float, str]] = []
    lock = threading.Lock()

    def _answer(self) -> None:
        self.body()
        if self.path == "/api/auth/login":
            time.sleep(0.2)  # what is sent before the login answered shows in the order
            with self.lock:
                self.seen.append((time.monotonic(), "login"))
            self.send_json(200, {"token": self.token})
            return
        sent = (self.headers.get("authorization") or "").partition(" ")[2]
        with self.lock:
            self.seen.append((time.monotonic(), sent))
        claims = self.token.split(".")[1:2]
        accepted = sent.count(".") == 2 and sent.split(".")[1:2] == claims
        self.send_json(200 if accepted else 401, {
            "error": "accepted" if accepted else "refused",
            "seen": base64.b64encode(sent.encode()).decode()})

    do_GET = do_POST = _answer


@pytest.fixture
def echo() -> Iterator[tuple[str, type[TokenEcho]]]:
    handler = type("Echo", (TokenEcho,), {"seen": [], "token": ""})
    with serving(handler) as url:
        yield url, handler


def _run(run_harness: Callable[..., HarnessRun], url: str) -> HarnessRun:
    run = run_harness(url, "--suite", "rest", env={
        "SMOKE_USERNAME": "me", "SMOKE_PASSWORD": "a-password-1"})
    assert run.report is not None, run.output
    return run


def test_the_forgeries_carry_the_run_tokens_claims_and_are_masked(
        run_harness: Callable[..., HarnessRun], echo: tuple[str, type[TokenEcho]]) -> None:
    url, handler = echo
    handler.token = jwt.encode({"userId": "u-17", "exp": int(time.time()) + 600}, SECRET,
                               algorithm="HS256")
    run = _run(run_harness, url)
    header, claims, signature = handler.token.split(".")
    forged = {sent for _, sent in handler.seen if sent.count(".") == 2
              and sent.split(".")[1] == claims and sent != handler.token}
    assert any(token.startswith(f"{header}.") and not token.endswith(f".{signature}")
               for token in forged), "a forged signature on the run's header and claims"
    assert any(jwt.get_unverified_header(token)["alg"] == "none" and token.endswith(".")
               for token in forged), "alg: none with the run's claims"
    login_answered = next(at for at, sent in handler.seen if sent == "login")
    assert all(at > login_answered for at, sent in handler.seen if sent in forged)
    outputs = [run.output, json.dumps(run.report)]
    leaked = [token for token in forged for text in outputs
              if token in text or base64.b64encode(token.encode()).decode() in text]
    assert not leaked


def test_without_a_jwt_the_forgeries_carry_generic_claims(
        run_harness: Callable[..., HarnessRun], echo: tuple[str, type[TokenEcho]]) -> None:
    url, handler = echo
    handler.token = f"opaque-session-{secrets.token_hex(16)}"
    _run(run_harness, url)
    subjects = {jwt.decode(sent, options={"verify_signature": False}).get("sub")
                for _, sent in handler.seen if sent.count(".") == 2 and sent.startswith("eyJ")}
    assert subjects == {CLAIMS_SUBJECT}


def test_the_curl_lines_of_accepted_forgeries_reproduce_them(
        reference_stack: Callable[..., ReferenceStack],
        run_engine: Callable[..., RunResult]) -> None:
    """Each forgery's curl line makes the same forgery from $SMOKE_TOKEN (no token in the
    line): run by a shell, it is accepted again by the service that decodes without verifying."""
    stack = reference_stack("jwt-decode-only")
    settings = stack.settings
    result = run_engine({"target_url": stack.url}, env={
        "SMOKE_USERNAME": settings.username, "SMOKE_PASSWORD": settings.password})
    lines = {o.check.params["variant"]: o.finding.reproduce for o in result.outcomes
             if o.check.kind == "auth" and o.finding is not None
             and o.check.params["route"] == "GET /api/conversations"}
    assert set(lines) == {FORGED_SIGNATURE, ALG_NONE}, lines
    token = httpx.post(f"{stack.url}/api/auth/login", json={
        "username": settings.username, "password": settings.password}).json()["token"]
    for variant, line in lines.items():
        assert token not in line and ("$SMOKE_TOKEN" in line or "{SMOKE_TOKEN" in line)
        replay = subprocess.run(["bash", "-c", line], capture_output=True, text=True,
                                env={"SMOKE_TOKEN": token, "PATH": "/usr/bin:/bin"},
                                timeout=30)
        assert replay.stdout.startswith("HTTP/1.1 200"), (variant, replay.stdout[:200])

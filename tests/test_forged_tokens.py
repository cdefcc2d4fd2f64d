"""The forged-signature and alg-none probes forge the run's own token when it is a JWT (its
claims, its user, its expiry: only the signature changed or gone), so a server that decodes
without verifying accepts them; with an opaque token they carry generic claims. A forgery of
the run's token is masked like the token, even when a server echoes it back encoded."""

from __future__ import annotations

import base64
import json
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import jwt
import pytest

from harness.plan.tokens import TOKEN_VARIANTS
from harness.records.forgery import ALG_NONE, CLAIMS_SUBJECT, EXPIRED, FORGED_SIGNATURE
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
        "SMOKE_USERNAME": "me", "SMOKE_PASSWORD": "a-password-1", "SMOKE_JWT_SECRET": SECRET})
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
    expired = {sent for _, sent in handler.seen if sent.count(".") == 2 and sent.startswith(
        "eyJ") and sent.split(".")[1] != claims and jwt.decode(
            sent, options={"verify_signature": False}).get("userId") == "u-17"}
    assert expired and all(jwt.decode(token, SECRET, algorithms=["HS256"], options={
        "verify_exp": False})["exp"] < time.time() for token in expired), \
        "expired, signed with the secret, with the run's claims"
    forged |= expired
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


ALL_VARIANTS = {variant.name for variant in TOKEN_VARIANTS}


@pytest.mark.parametrize(("fault", "route", "accepted"), [
    ("jwt-decode-only", "GET /api/conversations", {FORGED_SIGNATURE, ALG_NONE, EXPIRED}),
    ("jwt-exp-ignored", "GET /api/conversations", {EXPIRED}),
    ("auth-not-enforced", "GET /api/messages", ALL_VARIANTS)])
def test_the_curl_lines_of_accepted_bad_tokens_reproduce_them(
        fault: str, route: str, accepted: set[str], reference_stack: Callable[..., ReferenceStack],
        run_harness: Callable[..., HarnessRun]) -> None:
    """Each bad token's curl line, as the JSON report and the terminal show it, makes the same
    token from $SMOKE_TOKEN (and $SMOKE_JWT_SECRET) or from shell commands, no token, secret
    or mask in the line: run by bash, it is accepted again by the service that decodes without
    verifying (ignores `exp`, checks no token)."""
    stack = reference_stack(fault)
    settings = stack.settings
    run = run_harness(stack.url, "--suite", "rest", "-v", "--thorough", env={
        "SMOKE_USERNAME": settings.username, "SMOKE_PASSWORD": settings.password,
        "SMOKE_JWT_SECRET": settings.jwt_secret})
    assert run.report is not None, run.output
    lines = {check["id"].split(f"[{route}-")[1].rstrip("]"): check["reproduce"]
             for check in run.report["checks"] if f"[{route}-" in check["id"]
             and check["cause"] == "auth-not-enforced"}
    assert set(lines) == accepted, lines
    token = httpx.post(f"{stack.url}/api/auth/login", json={
        "username": settings.username, "password": settings.password}).json()["token"]
    shown = [text for text in run.output.splitlines() if "curl " in text]
    assert shown and all("***" not in text for text in shown), shown  # the terminal's lines
    python = Path(sys.executable).parent  # `python -m harness token`, as the user's shell has
    for variant, line in lines.items():
        assert token not in line and settings.jwt_secret not in line and "***" not in line
        replay = subprocess.run(["bash", "-c", line], capture_output=True, text=True, env={
            "SMOKE_TOKEN": token, "SMOKE_JWT_SECRET": settings.jwt_secret,
            "PATH": f"{python}:/usr/bin:/bin"}, timeout=30)
        assert replay.stdout.startswith("HTTP/1.1 200"), (variant, line, replay.stdout[:200],
                                                          replay.stderr[-500:])

"""The REST suite end to end: each reference fault is caught and named; the healthy stack passes."""

from __future__ import annotations

import re

import httpx
import jwt
import pytest

from harness.causes import cause as catalogue
from tests.conftest import HarnessRun

REST_CHECKS = ("test_rejects[", "test_rejects_bad_body[", "test_lists[",
               "test_create_conversation", "test_post_message", "test_unknown_api_route[")
WRITES = re.compile(r"test_create_conversation|test_post_message|-(wrong-content-type|"
                    r"oversized-body)-token\]")
JWT_SHAPE = re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]*")


def rest_checks(run: HarnessRun) -> dict[str, dict]:
    assert run.report is not None, run.output
    return {c["id"].split("::")[-1]: c for c in run.report["checks"]}


@pytest.mark.parametrize(("fault", "cause", "where"), [
    ("socketio-proxy-everywhere", "socketio-proxy-intercepts-rest", ""),
    ("conversations-precedence", "socketio-proxy-intercepts-rest", "/api/conversations"),
    ("notifications-unavailable", "generic-503-leak", "GET /api/notifications"),
    ("port-mismatch", "upstream-unreachable", ""),
    ("auth-not-enforced", "auth-not-enforced", "GET /api/messages"),
    ("stack-trace-on-bad-json", "stack-trace-leak", "-malformed-json-"),
])
def test_fault_is_caught_and_named(run_harness, fault: str, cause: str, where: str) -> None:
    run = run_harness("--fault", fault, "--suite", "rest")
    assert run.code == 1, run.output
    assert run.report["verdict"] == "fail"
    assert cause in run.causes, run.failed
    failed = [c for c in rest_checks(run).values() if c["outcome"] in ("failed", "error")]
    assert all(where in c["id"] + c["message"] for c in failed), run.failed
    assert cause in run.stdout and catalogue(cause).next_step in run.stdout


def test_precedence_fault_fails_only_the_conversation_routes(run_harness) -> None:
    run = run_harness("--fault", "conversations-precedence", "--suite", "rest")
    checks = rest_checks(run)
    assert checks["test_rejects[GET /api/notifications-no-token]"]["outcome"] == "passed"
    assert checks["test_lists[GET /api/messages]"]["outcome"] == "passed"
    assert checks["test_create_conversation"]["cause"] == "socketio-proxy-intercepts-rest"


def test_healthy_stack_passes_every_rest_check(run_harness) -> None:
    run = run_harness("--suite", "rest")
    assert run.code == 0, run.output
    checks = rest_checks(run)
    assert {c["outcome"] for c in checks.values()} == {"passed"}, run.output
    for prefix in REST_CHECKS:
        assert any(check_id.startswith(prefix) for check_id in checks), prefix
    assert "test_rejects[GET /api/conversations-forged-signature]" in checks
    assert "test_rejects_bad_body[POST /api/messages-oversized-body-no-token]" in checks


def test_read_only_skips_exactly_the_writes(run_harness) -> None:
    run = run_harness("--suite", "rest", "--read-only")
    assert run.code == 0, run.output
    skipped = {check_id for check_id, c in rest_checks(run).items() if c["outcome"] == "skipped"}
    writes = {check_id for check_id in rest_checks(run) if WRITES.search(check_id)}
    assert skipped == writes and len(writes) == 6


def test_create_that_never_responds_is_no_response_within_the_timeout(run_harness) -> None:
    run = run_harness("--fault", "create-never-responds", "--suite", "rest", "--timeout", "1",
                      timeout=60)
    assert run.code == 1, run.output
    assert run.failed == {"suites/rest/test_happy_path.py::test_create_conversation":
                          "no-response"}
    message = rest_checks(run)["test_create_conversation"]["message"]
    assert "POST /api/conversations" in message and "no HTTP answer" in message
    assert run.seconds < 20


def test_failure_message_shows_request_status_body_cause_and_next_step(run_harness) -> None:
    run = run_harness("--fault", "notifications-unavailable", "--suite", "rest")
    message = rest_checks(run)["test_rejects[GET /api/notifications-no-token]"]["message"]
    assert "GET /api/notifications" in message and "-> 503 " in message
    assert "Messaging service unavailable" in message
    block = run.stdout[run.stdout.index("generic-503-leak ("):]
    assert "x test_rejects[GET /api/notifications-no-token]" in block
    assert "-> 503 application/json" in block
    assert f"next step: {catalogue('generic-503-leak').next_step}" in block


@pytest.mark.parametrize("credentials", ["login", "token"])
def test_no_secret_in_any_output(run_harness, reference_stack, credentials: str) -> None:
    password, secret = "pw-smoke-Zq81xT4v", "jwt-secret-smoke-9Kd2mW7pQx-4hT6vN1sLb8r"
    stack = reference_stack("auth-not-enforced", "stack-trace-on-bad-json",
                            username="smoke-user", password=password, jwt_secret=secret)
    login = httpx.post(f"{stack.url}/api/auth/login", timeout=5,
                       json={"username": "smoke-user", "password": password})
    token = login.json()["token"]
    env = {"SMOKE_JWT_SECRET": secret}
    env.update({"SMOKE_TOKEN": token} if credentials == "token" else
               {"SMOKE_USERNAME": "smoke-user", "SMOKE_PASSWORD": password})
    run = run_harness(stack.url, "--suite", "rest", "--", "-rA", "--tb=long", env=env)
    assert run.code == 1, run.output
    assert rest_checks(run)["test_post_message"]["outcome"] == "passed"
    channels = {"stdout": run.stdout, "stderr": run.stderr,
                "report": run.files[0].read_text()}
    for name, text in channels.items():
        for value in (token, password, secret):
            assert value not in text, f"a secret leaked into {name}"
        for candidate in JWT_SHAPE.findall(text):
            with pytest.raises(jwt.InvalidTokenError):
                jwt.decode(candidate, secret, algorithms=["HS256"])

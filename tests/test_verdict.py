"""An honest verdict: no false green, never a 429 of our own, wrong input is an error."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import httpx
import pytest

from harness.config.resolve import resolve
from harness.engine import RunResult
from harness.judge.causes import Cause
from harness.judge.kinds import shown_key
from harness.plan.build import build_plan
from harness.stacks.reference import ReferenceStack
from tests.conftest import HarnessRun

LIMIT = 45  # the rate-limited fault's window


@pytest.fixture
def limited_stack() -> Iterator[ReferenceStack]:
    with ReferenceStack(["rate-limited"]) as stack:
        yield stack


def _credentials(stack: ReferenceStack) -> dict[str, str]:
    return {"SMOKE_USERNAME": stack.settings.username, "SMOKE_PASSWORD": stack.settings.password,
            "SMOKE_JWT_SECRET": stack.settings.jwt_secret}


def test_two_runs_in_one_window_never_cause_a_429(limited_stack: ReferenceStack,
                                                   run_engine: Callable[..., RunResult]) -> None:
    values = {"target_url": limited_stack.url, "origin": "http://localhost:3000"}
    first = run_engine(values, _credentials(limited_stack))
    said: list[str] = []
    second = run_engine(values, _credentials(limited_stack), said)
    assert first.rate_limit is not None and first.rate_limit["limit"] == LIMIT
    assert first.requests_sent + second.requests_sent <= LIMIT, "the harness caused a 429"
    assert limited_stack.requests_received <= LIMIT
    for result in (first, second):
        assert all(o.cause is not Cause.RATE_LIMITED for o in result.outcomes)
    assert second.verdict == "inconclusive"
    left_out = [o for o in second.outcomes if "did not fit the target's rate limit" in o.reason]
    assert left_out, "the second run says what it could not fit"
    announced = [line for line in said if "did not fit the target's rate limit" in line]
    assert announced, said  # before the bulk is sent; its count excludes what was already sent
    match = re.search(r"ones in (\d+) more requests? \((\d+) already sent\)", announced[0])
    assert match, announced[0]
    assert int(match[1]) + int(match[2]) == second.requests_sent, announced[0]
    kept = {shown_key(o.check.key) for o in second.outcomes if o.outcome == "passed"}
    assert "test_health_document[gateway]" in kept, "the mission's invariants go first"


@pytest.mark.parametrize("short_by", [1, 2])
def test_a_budget_just_short_of_the_plan_causes_no_429(
        limited_stack: ReferenceStack, run_engine: Callable[..., RunResult],
        short_by: int) -> None:
    values = {"target_url": limited_stack.url, "origin": "http://localhost:3000"}
    planned = build_plan(resolve(values, env=_credentials(limited_stack)))
    before_fit = 2  # the preflight: the health document and the login
    burn = LIMIT - (planned.request_count - short_by)
    for _ in range(burn):
        httpx.get(limited_stack.url + "/api/health", timeout=5)
    result = run_engine(values, _credentials(limited_stack))
    assert limited_stack.requests_received <= LIMIT, "the harness caused a 429"
    assert all(o.cause is not Cause.RATE_LIMITED for o in result.outcomes)
    assert result.verdict == "inconclusive"
    assert result.requests_sent <= LIMIT - burn
    assert result.requests_sent >= before_fit


def test_max_requests_caps_the_run(run_engine: Callable[..., RunResult]) -> None:
    result = run_engine({"max_requests": 8})
    assert result.requests_sent <= 8
    assert result.verdict == "inconclusive"
    assert any("--max-requests 8" in o.reason for o in result.outcomes)


def test_a_rejected_smoke_token_stops_before_the_suites(
        run_engine: Callable[..., RunResult]) -> None:
    with ReferenceStack() as stack:
        result = run_engine({"target_url": stack.url}, {"SMOKE_TOKEN": "eyJhbGciOi.not.valid"})
    assert result.verdict == "inconclusive"
    assert result.error is not None and "SMOKE_TOKEN" in result.error
    assert "credentials-rejected" in result.error
    assert result.requests_sent <= 3


def test_refused_login_stops_before_the_suites(run_engine: Callable[..., RunResult]) -> None:
    with ReferenceStack() as stack:
        result = run_engine({"target_url": stack.url},
                            {"SMOKE_USERNAME": "smoke-user", "SMOKE_PASSWORD": "wrong-password"})
    assert result.verdict == "inconclusive"
    assert "refused the configured credentials (401" in (result.error or "")


def test_no_credentials_is_a_pass_that_says_what_was_not_tested(
        run_engine: Callable[..., RunResult]) -> None:
    with ReferenceStack() as stack:
        result = run_engine({"target_url": stack.url})
    assert result.verdict == "pass"
    reasons = {o.reason for o in result.outcomes if o.outcome == "not-tested"}
    assert any(reason.startswith("no credentials") for reason in reasons)


@pytest.mark.parametrize(("args", "env", "needle"), [
    ((), {"SMOKE_TARGET_URL": ""}, "SMOKE_TARGET_URL is set but empty"),
    (("http://127.0.0.1:9", "--fault", "port-mismatch"), {}, "cannot change a target"),
    (("http://127.0.0.1:9/api",), {}, "has a path (/api)"),
])
def test_false_greens_of_wave_one_are_errors(run_harness: Callable[..., HarnessRun],
                                             args: tuple[str, ...], env: dict[str, str],
                                             needle: str) -> None:
    run = run_harness(*args, env=env)
    assert run.code == 2
    assert needle in run.stderr
    assert run.report is not None and run.report["verdict"] == "error"


def test_https_to_a_plain_http_port_says_to_use_http(
        run_engine: Callable[..., RunResult]) -> None:
    with ReferenceStack() as stack:
        result = run_engine({"target_url": stack.url.replace("http://", "https://")})
    assert result.verdict == "error"
    assert "TLS handshake failed (the port speaks plain HTTP: use http://)" in (result.error or "")

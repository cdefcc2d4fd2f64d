"""An honest verdict: no false green, never a 429 of our own, wrong input is an error."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from harness.engine import RunResult
from harness.judge.causes import Cause
from harness.stacks.reference import ReferenceStack
from tests.conftest import HarnessRun

LIMIT = 30  # the rate-limited fault's window


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
    second = run_engine(values, _credentials(limited_stack))
    assert first.rate_limit is not None and first.rate_limit["limit"] == LIMIT
    assert first.requests_sent + second.requests_sent <= LIMIT, "the harness caused a 429"
    assert limited_stack.requests_received <= LIMIT
    for result in (first, second):
        assert all(o.cause is not Cause.RATE_LIMITED for o in result.outcomes)
    assert second.verdict == "inconclusive"
    left_out = [o for o in second.outcomes if "did not fit the target's rate limit" in o.reason]
    assert left_out, "the second run says what it could not fit"
    kept = {o.check.key for o in second.outcomes if o.outcome == "passed"}
    assert "test_health_document[gateway]" in kept, "the mission's invariants go first"


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

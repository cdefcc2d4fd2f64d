"""Fitting the plan into what the target still allows: never more than is left."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from harness.config.resolve import resolve
from harness.plan.budget import RESERVE, fit
from harness.plan.build import build_plan
from harness.records.plan import Plan
from tests.conftest import HarnessRun


@pytest.fixture(scope="module")
def plan() -> Plan:
    return build_plan(resolve({"target_url": "http://127.0.0.1:9"},
                              env={"SMOKE_USERNAME": "u", "SMOKE_PASSWORD": "p"}))


def sent_first(plan: Plan, count: int) -> frozenset[str]:
    return frozenset(request.key for request in plan.http[:count])


@pytest.mark.parametrize("left", [0, 1, 5, 20])
def test_a_plan_that_does_not_fit_spends_at_most_what_is_left_minus_the_reserve(
        plan: Plan, left: int) -> None:
    sent = sent_first(plan, 2)
    fitted = fit(plan, left, "did not fit", sent)
    assert fitted.request_count - len(sent) <= max(0, left - RESERVE)
    assert fitted.left_out, "what did not fit is said"


def test_a_plan_one_request_short_does_not_fit(plan: Plan) -> None:
    sent = sent_first(plan, 2)
    needed = plan.request_count - len(sent)
    assert fit(plan, needed, "did not fit", sent) is plan
    short = fit(plan, needed - 1, "did not fit", sent)
    assert short.request_count - len(sent) <= needed - 1 - RESERVE
    added = {str(w) for w in short.left_out.values()} - {str(w) for w in plan.left_out.values()}
    assert added == {"did not fit"}


def test_the_probes_already_sent_stay_in_the_plan(plan: Plan) -> None:
    sent = sent_first(plan, 2)
    fitted = fit(plan, 0, "did not fit", sent)
    assert sent <= {request.key for request in fitted.http}


def test_max_requests_runs_the_documented_priorities_socket_included(
        run_harness: Callable[..., HarnessRun]) -> None:
    """--max-requests 10 against the embedded stack: health, 401 on every route, the
    handshake, the upgrade and auth on connect, in exactly 10 requests."""
    shown = run_harness("--max-requests", "10", "--plan")
    assert "10 requests" in shown.stdout.splitlines()[0], shown.stdout
    listed = [line for line in shown.stdout.splitlines() if re.match(r"\s+\d+\. ", line)]
    assert len(listed) == 10 and "Socket.IO session" in listed[-1], listed

    run = run_harness("--max-requests", "10")
    assert run.report is not None and run.report["requests_sent"] == 10, run.output
    outcomes = {check["id"].split("::", 1)[1]: check["outcome"] for check in run.report["checks"]}
    for case in ("test_health_document[gateway]", "test_polling_handshake[polling]",
                 "test_upgrade_from_polling[websocket]", "test_connect_refused[no-token]",
                 "test_connect_refused[forged-token]", "test_connect_with_token[websocket-token]"):
        assert outcomes[case] == "passed", (case, outcomes[case])
    no_token = [case for case in outcomes if case.startswith("test_rejects[")
                and case.endswith("-no-token]")]
    assert no_token and all(outcomes[case] == "passed" for case in no_token)


def test_a_kept_session_costs_only_what_its_kept_checks_read(plan: Plan) -> None:
    fitted = fit(plan, 10, "did not fit", reserve=0)
    assert fitted.request_count == 10
    session = fitted.sessions[0]
    assert session.refusals and session.connect and not session.listeners
    assert not session.realtime and session.requests == 1
    assert all(c.key not in fitted.left_out for c in plan.checks if c.priority == 0), \
        "the mission's invariants (priority 0) come first"


def test_a_handshake_kept_without_its_session_is_still_sent(
        run_harness: Callable[..., HarnessRun]) -> None:
    """A budget that keeps the polling handshake's check but not the upgrade (a target with
    more routes than the embedded stack): the handshake goes alone, and every request of the
    budget is used (it used to be planned, never sent, and said 'not sent: the budget')."""
    for budget in range(4, 12):
        shown = run_harness("--max-requests", str(budget), "--plan")
        listed = [line for line in shown.stdout.splitlines() if re.match(r"\s+\d+\. ", line)]
        if "transport=polling" in listed[-1] and not any("Socket.IO session" in line
                                                         for line in listed):
            break
    else:
        raise AssertionError("no budget keeps the handshake without its session")
    run = run_harness("--max-requests", str(budget))
    assert run.report is not None and run.report["requests_sent"] == budget, run.output
    outcomes = {check["id"].split("::", 1)[1]: check["outcome"] for check in run.report["checks"]}
    assert outcomes["test_polling_handshake[polling]"] == "passed", outcomes

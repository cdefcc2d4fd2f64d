"""Fitting the plan into what the target still allows: never more than is left."""

from __future__ import annotations

import pytest

from harness.config.resolve import resolve
from harness.plan.budget import RESERVE, fit
from harness.plan.build import build_plan
from harness.records.plan import Plan


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

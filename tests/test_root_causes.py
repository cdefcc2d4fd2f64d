"""Root causes: one group per cause, whose sentence never claims that unlike checks agree."""

from __future__ import annotations

import pytest

from harness.config.resolve import resolve
from harness.judge.causes import Cause
from harness.judge.context import Context
from harness.judge.findings import Finding
from harness.judge.outcomes import FAILED, Outcome
from harness.judge.root_causes import rank_root_causes
from harness.probes.execute import Evidence
from harness.records.plan import Check
from harness.sanitize.redact import Redactor


@pytest.fixture(scope="module")
def ctx() -> Context:
    return Context(resolve({"target_url": "http://gw.test"}, env={}), Redactor())


def failed(family: str, case: str, cause: Cause, message: str) -> Outcome:
    return Outcome(Check(case, family, (case,)), FAILED, Finding(cause, message))


def test_checks_of_one_kind_are_counted_as_showing_the_same(ctx: Context) -> None:
    outcomes = [failed("list", f"GET /api/{name}", Cause.CONTRACT_MISMATCH,
                       f"GET /api/{name} answered 400") for name in ("a", "b", "c")]
    root, = rank_root_causes(outcomes, ctx, Evidence())
    assert root.summary == "GET /api/a answered 400 (2 more checks show the same)"


def test_unlike_checks_with_one_cause_are_each_said(ctx: Context) -> None:
    outcomes = [failed("list", "GET /api/messages", Cause.CONTRACT_MISMATCH,
                       "GET /api/messages answered 400"),
                failed("realtime", "message", Cause.CONTRACT_MISMATCH,
                       "the join was not confirmed: no ack within 5 s")]
    root, = rank_root_causes(outcomes, ctx, Evidence())
    assert "show the same" not in root.summary
    assert root.summary == ("GET /api/messages answered 400; also the join was not confirmed: "
                            "no ack within 5 s")
    assert root.checks == [o.check.key for o in outcomes]

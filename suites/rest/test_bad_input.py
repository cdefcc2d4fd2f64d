"""Write routes reject malformed, mistyped and oversized bodies with a 4xx and no internals."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from harness.diagnosis import Diagnoser
from harness.findings import violate
from harness.plugin import runtime_of
from harness.probe import HttpProber, Probe, ProbeResult
from harness.rest_checks import BadInputCase, bad_input_cases


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "bad_input" in metafunc.fixturenames:
        cases = bad_input_cases(runtime_of(metafunc.config).config.contract)
        metafunc.parametrize("bad_input", [
            pytest.param(case, id=case.id, marks=[pytest.mark.writes] if case.writes else [])
            for case in cases])


def test_rejects_bad_body(bad_input: BadInputCase, prober: HttpProber, diagnoser: Diagnoser,
                          request: pytest.FixtureRequest) -> None:
    if bad_input.probe is not None:
        result = prober.result(bad_input.probe)
    else:
        send: Callable[[Probe], ProbeResult] = request.getfixturevalue("send_authorized")
        result = send(bad_input.request)
    violate(diagnoser.bad_input(result, with_token=bad_input.needs_token))

"""Protected routes reject every kind of missing or bad credentials with 401 and a JSON error."""

from __future__ import annotations

import pytest

from harness.checks import AuthCase, auth_cases
from harness.contract import Contract
from harness.diagnosis import Diagnoser
from harness.findings import violate
from harness.plugin import runtime_of
from harness.probe import HttpProber


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "auth_case" in metafunc.fixturenames:
        cases = auth_cases(runtime_of(metafunc.config).config)
        metafunc.parametrize("auth_case", cases, ids=[case.id for case in cases])


def test_rejects(auth_case: AuthCase, prober: HttpProber, diagnoser: Diagnoser,
                 contract: Contract) -> None:
    if auth_case.probe is None:
        pytest.skip(f"{auth_case.variant.name}: needs the signing secret (SMOKE_JWT_SECRET)")
    result = prober.result(auth_case.probe)
    violate(diagnoser.auth_rejection(result, contract.auth.accepted_statuses))

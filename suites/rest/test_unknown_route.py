"""An unknown /api route answers the contract's 404, not a 5xx and not a proxy's error."""

from __future__ import annotations

import pytest

from harness.contract import Contract
from harness.diagnosis import Diagnoser
from harness.findings import violate
from harness.plugin import runtime_of
from harness.probe import HttpProber, Probe
from harness.rest_checks import unknown_route_probe


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "unknown_probe" in metafunc.fixturenames:
        probe = unknown_route_probe(runtime_of(metafunc.config).config.contract)
        metafunc.parametrize("unknown_probe", [probe], ids=[probe.request_line])


def test_unknown_api_route(unknown_probe: Probe, prober: HttpProber, diagnoser: Diagnoser,
                           contract: Contract) -> None:
    violate(diagnoser.expect(prober.result(unknown_probe), contract.unknown_route_statuses,
                             json=False))

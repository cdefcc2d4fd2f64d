"""Concurrent and --sequential runs reach the same verdict and the same outcome per check."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import HarnessRun

SCENARIOS = [
    pytest.param((), 0, None, id="healthy"),
    pytest.param(("notifications-unavailable",), 1, "generic-503-leak",
                 id="notifications-unavailable"),
    pytest.param(("dual-upgrade",), 1, "websocket-upgrade-broken", id="dual-upgrade"),
]


def outcomes(run: HarnessRun) -> dict[str, tuple[str, str | None]]:
    assert run.report is not None, f"no report written:\n{run.output}"
    return {check["id"]: (check["outcome"], check["cause"]) for check in run.report["checks"]}


@pytest.mark.parametrize(("faults", "code", "cause"), SCENARIOS)
def test_sequential_run_matches_concurrent(run_harness: Callable[..., HarnessRun],
                                           faults: tuple[str, ...], code: int,
                                           cause: str | None) -> None:
    fault_args = [arg for name in faults for arg in ("--fault", name)]
    concurrent = run_harness(*fault_args)
    sequential = run_harness(*fault_args, "--sequential")
    assert concurrent.code == sequential.code == code, concurrent.output + sequential.output
    assert concurrent.report["verdict"] == sequential.report["verdict"]
    assert outcomes(concurrent) == outcomes(sequential)
    assert "socket" in {check["suite"] for check in concurrent.report["checks"]}
    if cause is not None:
        assert cause in concurrent.causes, concurrent.failed

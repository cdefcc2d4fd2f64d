"""Service logs (--service-log FILE) carry none of the contract's known warning signatures."""

from __future__ import annotations

import pytest

from harness.config import TargetConfig
from harness.diagnosis import Diagnoser
from harness.findings import violate
from harness.healthchecks import expected_log_ports, service_log_checks
from harness.logscan import LogCheck, port_hits, signature_hits
from harness.plugin import runtime_of


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "log_check" in metafunc.fixturenames:
        checks = service_log_checks(runtime_of(metafunc.config).config)
        metafunc.parametrize("log_check", checks or [None],
                             ids=[check.id for check in checks] or ["no-log"])


def test_service_log(log_check: LogCheck | None, target: TargetConfig,
                     diagnoser: Diagnoser) -> None:
    if log_check is None:
        pytest.skip("no service log given (--service-log FILE)")
    rules = target.contract.service_logs
    if log_check.signature is not None:
        hits = signature_hits(log_check.path, log_check.signature)
        violate(diagnoser.log_warning(hits, log_check.signature.meaning))
        return
    ports = expected_log_ports(target)
    if not ports:
        pytest.skip("no expected port: set service_logs.expected_port in the contract or "
                    "pass --expect-service NAME=URL")
    hits = port_hits(log_check.path, rules, ports)
    expected = " or ".join(str(port) for port in sorted(ports))
    violate(diagnoser.log_warning(hits, f"a service runs on a port other than the expected "
                                        f"{expected}"))

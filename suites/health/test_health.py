"""Health routes: the gateway's document, each required service in aggregate health, the
aliases, the reported service map (config drift), and every route's latency budget."""

from __future__ import annotations

import pytest

from harness.config import TargetConfig
from harness.diagnosis import Diagnoser
from harness.findings import violate
from harness.healthchecks import RouteCase, aggregate_cases, alias_cases, gateway_health_case
from harness.plugin import runtime_of
from harness.probe import HttpProber


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    runtime = runtime_of(metafunc.config)
    if "aggregate_case" in metafunc.fixturenames:
        cases = aggregate_cases(runtime.config, runtime.prober)
        metafunc.parametrize("aggregate_case", cases, ids=[case.id for case in cases])
    if "alias_case" in metafunc.fixturenames:
        cases = alias_cases(runtime.config)
        metafunc.parametrize("alias_case", cases, ids=[case.id for case in cases])
    if "gateway_case" in metafunc.fixturenames:
        case = gateway_health_case(runtime.config)
        metafunc.parametrize("gateway_case", [case], ids=[case.id])


def test_health_document(gateway_case: RouteCase, prober: HttpProber,
                         diagnoser: Diagnoser) -> None:
    result = prober.result(gateway_case.probe)
    violate(diagnoser.health(result) or diagnoser.latency(result, gateway_case.budget_ms))


def test_aggregate_service(aggregate_case: RouteCase, prober: HttpProber,
                           diagnoser: Diagnoser) -> None:
    result = prober.result(aggregate_case.probe)
    violate(diagnoser.aggregate_service(result, aggregate_case.name)
            or diagnoser.latency(result, aggregate_case.budget_ms))


def test_service_health_alias(alias_case: RouteCase, prober: HttpProber,
                              diagnoser: Diagnoser) -> None:
    result = prober.result(alias_case.probe)
    violate(diagnoser.service_health(result, alias_case.name)
            or diagnoser.latency(result, alias_case.budget_ms))


def test_service_map(gateway_case: RouteCase, target: TargetConfig, prober: HttpProber,
                     diagnoser: Diagnoser) -> None:
    if not target.expected_services:
        pytest.skip("no expected service map: pass --expect-service NAME=URL or set the "
                    "contract's defaults.expected_services")
    result = prober.result(gateway_case.probe)
    if result.status != 200:
        violate(diagnoser.health(result))
    violate(diagnoser.stale_config(result, target.expected_services))

"""Health routes: the gateway's document, each service in aggregate health, the aliases, and
the reported service map (config drift); latency judged on a quiet measurement."""

from harness.plugin import verify
from harness.pytest_state import CheckCase


def test_health_document(smoke_check: CheckCase) -> None:
    verify(smoke_check)


def test_aggregate_service(smoke_check: CheckCase) -> None:
    verify(smoke_check)


def test_service_health_alias(smoke_check: CheckCase) -> None:
    verify(smoke_check)


def test_service_map(smoke_check: CheckCase) -> None:
    verify(smoke_check)

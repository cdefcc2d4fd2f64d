"""Service logs (--service-log FILE), from their last start, carry no known warning."""

from harness.plugin import verify
from harness.pytest_state import CheckCase


def test_service_log(smoke_check: CheckCase) -> None:
    verify(smoke_check)

"""Error answers keep internal details (addresses, connection strings, driver classes) inside."""

from harness.plugin import verify
from harness.pytest_state import CheckCase


def test_no_internal_details(smoke_check: CheckCase) -> None:
    verify(smoke_check)

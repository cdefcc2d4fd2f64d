"""An unknown /api route answers the contract's 404, not a 5xx and not a proxy's error."""

from harness.plugin import verify
from harness.pytest_state import CheckCase


def test_unknown_api_route(smoke_check: CheckCase) -> None:
    verify(smoke_check)

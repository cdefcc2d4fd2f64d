"""Protected routes reject every kind of missing or bad credentials with 401 and a JSON error."""

from harness.plugin import verify
from harness.pytest_state import CheckCase


def test_rejects(smoke_check: CheckCase) -> None:
    verify(smoke_check)

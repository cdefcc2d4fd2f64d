"""Events sent empty or with the wrong type may be refused, but the service keeps running."""

from harness.plugin import verify
from harness.pytest_state import CheckCase


def test_survives_bad_events(smoke_check: CheckCase) -> None:
    verify(smoke_check)

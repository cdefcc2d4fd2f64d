"""A Socket.IO connect with the valid token is accepted; without one, or forged, refused."""

from harness.plugin import verify
from harness.pytest_state import CheckCase


def test_connect_with_token(smoke_check: CheckCase) -> None:
    verify(smoke_check)


def test_connect_refused(smoke_check: CheckCase) -> None:
    verify(smoke_check)

"""The Socket.IO handshake allows the browser origin the app is served from (--origin)."""

from harness.plugin import verify
from harness.pytest_state import CheckCase


def test_handshake_allows_origin(smoke_check: CheckCase) -> None:
    verify(smoke_check)

"""The Engine.IO polling handshake answers a valid v4 open packet through the gateway."""

from harness.plugin import verify
from harness.pytest_state import CheckCase


def test_polling_handshake(smoke_check: CheckCase) -> None:
    verify(smoke_check)

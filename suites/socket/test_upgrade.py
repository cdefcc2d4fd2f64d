"""The websocket transport works through the gateway: the upgrade of a polling session."""

from harness.plugin import verify
from harness.pytest_state import CheckCase


def test_upgrade_from_polling(smoke_check: CheckCase) -> None:
    verify(smoke_check)


def test_websocket_only_session(smoke_check: CheckCase) -> None:
    verify(smoke_check)

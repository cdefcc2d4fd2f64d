"""A message posted in a joined conversation comes back as the realtime event."""

import pytest

from harness.plugin import verify
from harness.pytest_state import CheckCase


@pytest.mark.writes
def test_message_round_trip(smoke_check: CheckCase) -> None:
    verify(smoke_check)

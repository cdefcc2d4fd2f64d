"""Another user's objects are refused: ids in paths are compared with the token, conversations
with their members, and lists show only the caller's own."""

from harness.plugin import verify
from harness.pytest_state import CheckCase


def test_other_users_objects(smoke_check: CheckCase) -> None:
    verify(smoke_check)

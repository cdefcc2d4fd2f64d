"""With credentials: the login, lists answer 200 JSON, a conversation and a message are created."""

import pytest

from harness.plugin import verify
from harness.pytest_state import CheckCase


def test_login(smoke_check: CheckCase) -> None:
    verify(smoke_check)


def test_lists(smoke_check: CheckCase) -> None:
    verify(smoke_check)


@pytest.mark.writes
def test_create_conversation(smoke_check: CheckCase) -> None:
    verify(smoke_check)


@pytest.mark.writes
def test_post_message(smoke_check: CheckCase) -> None:
    verify(smoke_check)

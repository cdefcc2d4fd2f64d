"""A conversation's messages reach its members, once, and nobody else."""

from harness.plugin import verify
from harness.pytest_state import CheckCase


def test_outsider_stays_out(smoke_check: CheckCase) -> None:
    verify(smoke_check)


def test_delivered_once(smoke_check: CheckCase) -> None:
    verify(smoke_check)

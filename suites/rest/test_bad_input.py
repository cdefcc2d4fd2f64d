"""Bad bodies (malformed, mistyped, oversized) never get a 5xx, a trace or a proxy error."""

from harness.plugin import verify
from harness.pytest_state import CheckCase


def test_rejects_bad_body(smoke_check: CheckCase) -> None:
    verify(smoke_check)


def test_rejects_wrong_types(smoke_check: CheckCase) -> None:
    verify(smoke_check)

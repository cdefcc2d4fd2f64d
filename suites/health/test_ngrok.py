"""The local ngrok agent's tunnels forward to a port that listens and that the contract expects."""

from harness.plugin import verify
from harness.pytest_state import CheckCase


def test_tunnel_upstream(smoke_check: CheckCase) -> None:
    verify(smoke_check)

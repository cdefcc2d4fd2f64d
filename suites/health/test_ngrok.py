"""The local ngrok agent's tunnels forward to a port that listens and that the contract expects."""

from __future__ import annotations

import pytest

from harness.config import TargetConfig
from harness.diagnosis import Diagnoser
from harness.findings import violate
from harness.healthchecks import TunnelCase, tunnel_cases
from harness.ngrok import is_listening
from harness.plugin import runtime_of


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "tunnel_case" in metafunc.fixturenames:
        cases = tunnel_cases(runtime_of(metafunc.config).config)
        metafunc.parametrize("tunnel_case", cases or [None],
                             ids=[case.id for case in cases] or ["no-agent"])


def test_tunnel_upstream(tunnel_case: TunnelCase | None, target: TargetConfig,
                         diagnoser: Diagnoser) -> None:
    if tunnel_case is None:
        pytest.skip("no ngrok agent to check (--ngrok-api URL or --target-url ngrok)")
    if tunnel_case.tunnel is None:
        violate(diagnoser.finding("ngrok-tunnel-offline", tunnel_case.problem))
        return
    upstream = tunnel_case.tunnel.upstream
    listening = upstream is not None and is_listening(*upstream)
    violate(diagnoser.tunnel_upstream(tunnel_case.tunnel, listening,
                                      target.contract.ngrok.expected_upstream_port))

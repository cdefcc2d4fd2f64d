"""Socket suite fixtures: the independent socket probes, started together on first use."""

from __future__ import annotations

import pytest

from harness.runtime import SmokeRuntime
from harness.socket_evidence import SocketSurvey
from harness.socket_probe import SocketProber

SURVEY_STEPS = 6  # the longest chain of bounded waits in one probe (connect, call, close...)


@pytest.fixture(scope="session")
def socket_prober(smoke: SmokeRuntime) -> SocketProber:
    return SocketProber(smoke.config, smoke.prober)


@pytest.fixture(scope="session")
def optional_token(request: pytest.FixtureRequest) -> str | None:
    """The run's token, or None when no credentials are configured (checks needing it skip)."""
    try:
        return request.getfixturevalue("auth_token")
    except pytest.skip.Exception:
        return None


@pytest.fixture(scope="session")
def socket_survey(smoke: SmokeRuntime, socket_prober: SocketProber,
                  optional_token: str | None) -> SocketSurvey:
    """Handshake, upgrade, websocket-only, CORS and the connects, all in flight at once."""
    return smoke.loop.run(socket_prober.survey(optional_token, smoke.config.origin),
                          timeout=smoke.config.timeout_s * SURVEY_STEPS + 5)

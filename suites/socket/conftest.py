"""Socket suite fixtures: the independent socket probes, started together (early if concurrent)."""

from __future__ import annotations

import pytest

from harness.checks import polling_handshake_probe
from harness.plugin import runtime_of
from harness.runtime import SmokeRuntime
from harness.socket_evidence import RoundTrip, SocketSurvey
from harness.socket_run import SocketRun

SOCKET_RUN = pytest.StashKey[SocketRun]()


def pytest_collection_finish(session: pytest.Session) -> None:
    """Concurrent runs start the selected socket checks' work now, while REST checks run."""
    runtime = runtime_of(session.config)
    if runtime.concurrency == 1 or hasattr(session.config, "workerinput"):
        return
    selected = [item for item in session.items if not item.get_closest_marker("skip")]
    if any(getattr(item, "originalname", "") == "test_polling_handshake" for item in selected):
        runtime.prober.fetch(polling_handshake_probe(runtime.config))
    needs = [item.fixturenames for item in selected  # type: ignore[attr-defined]
             if "socket_survey" in getattr(item, "fixturenames", ())]
    if needs:
        run = session.config.stash[SOCKET_RUN] = SocketRun(runtime)
        run.start(round_trip=any("message_round_trip" in names for names in needs))


@pytest.fixture(scope="session")
def socket_run(smoke: SmokeRuntime, pytestconfig: pytest.Config) -> SocketRun:
    return pytestconfig.stash.get(SOCKET_RUN, None) or SocketRun(smoke)


@pytest.fixture(scope="session")
def optional_token(request: pytest.FixtureRequest) -> str | None:
    """The run's token, or None when no credentials are configured (checks needing it skip)."""
    try:
        return request.getfixturevalue("auth_token")
    except pytest.skip.Exception:
        return None


@pytest.fixture(scope="session")
def socket_survey(socket_run: SocketRun, optional_token: str | None) -> SocketSurvey:
    """Handshake, upgrade, websocket-only, CORS and the connects, all in flight at once."""
    return socket_run.survey(optional_token)


@pytest.fixture(scope="session")
def message_round_trip(socket_run: SocketRun, auth_token: str,
                       socket_survey: SocketSurvey) -> RoundTrip:
    """Create, join, post, await the event (websocket when it works, else polling)."""
    return socket_run.round_trip(auth_token, socket_survey)

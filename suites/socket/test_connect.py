"""python-socketio connects with a valid token on each transport; without one it is refused."""

from __future__ import annotations

import pytest

from harness.diagnosis import Diagnoser
from harness.findings import violate
from harness.socket_evidence import SocketSurvey


@pytest.mark.parametrize("transport", ["websocket", "polling"])
def test_connect_with_token(transport: str, socket_survey: SocketSurvey,
                            diagnoser: Diagnoser) -> None:
    attempt = socket_survey.clients.get(transport)
    if attempt is None:
        pytest.skip("no credentials: set SMOKE_TOKEN, or SMOKE_USERNAME and SMOKE_PASSWORD")
    violate(diagnoser.socket_connect(attempt, socket_survey))


@pytest.mark.parametrize("variant", ["no-token", "forged-token"])
def test_connect_refused(variant: str, socket_survey: SocketSurvey,
                         diagnoser: Diagnoser) -> None:
    violate(diagnoser.socket_rejection(socket_survey.clients[variant], socket_survey))

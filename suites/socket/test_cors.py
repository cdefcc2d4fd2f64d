"""The Socket.IO handshake allows the browser origin the app is served from (--origin)."""

from __future__ import annotations

import pytest

from harness.config import TargetConfig
from harness.diagnosis import Diagnoser
from harness.findings import violate
from harness.socket_evidence import SocketSurvey


def test_handshake_allows_origin(socket_survey: SocketSurvey, target: TargetConfig,
                                 diagnoser: Diagnoser) -> None:
    if socket_survey.cors is None or not target.origin:
        pytest.skip("no browser origin configured: pass --origin (or SMOKE_ORIGIN, or the "
                    "contract's defaults.origin)")
    violate(diagnoser.cors(socket_survey.cors, socket_survey.polling, target.origin))

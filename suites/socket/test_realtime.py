"""A message posted over REST arrives as the realtime event in the joined conversation."""

from __future__ import annotations

import pytest

from harness.diagnosis import Diagnoser
from harness.findings import violate
from harness.runtime import SmokeRuntime
from harness.socket_evidence import SocketSurvey
from harness.socket_probe import SocketProber

ROUND_TRIP_STEPS = 8  # connect, create, join, post, event budget, disconnect, with slack


@pytest.mark.writes
def test_message_round_trip(smoke: SmokeRuntime, socket_prober: SocketProber, auth_token: str,
                            socket_survey: SocketSurvey, diagnoser: Diagnoser) -> None:
    transport = "websocket" if socket_survey.websocket_only.ok else "polling"
    budget = smoke.config.timeout_s * ROUND_TRIP_STEPS + \
        smoke.config.contract.socketio.event_budget_ms / 1000
    trip = smoke.loop.run(socket_prober.round_trip(auth_token, transport, smoke.prober.send),
                          timeout=budget)
    violate(diagnoser.realtime(trip, socket_survey))

"""A message posted over REST arrives as the realtime event in the joined conversation."""

from __future__ import annotations

import pytest

from harness.diagnosis import Diagnoser
from harness.findings import violate
from harness.socket_evidence import RoundTrip, SocketSurvey


@pytest.mark.writes
def test_message_round_trip(message_round_trip: RoundTrip, socket_survey: SocketSurvey,
                            diagnoser: Diagnoser) -> None:
    violate(diagnoser.realtime(message_round_trip, socket_survey))

"""The websocket transport works through the gateway: upgrade of a polling session, and alone."""

from __future__ import annotations

from harness.diagnosis import Diagnoser
from harness.findings import violate
from harness.socket_evidence import SocketSurvey


def test_upgrade_from_polling(socket_survey: SocketSurvey, diagnoser: Diagnoser) -> None:
    violate(diagnoser.upgrade(socket_survey.polling, socket_survey.upgrade))


def test_websocket_only_session(socket_survey: SocketSurvey, diagnoser: Diagnoser) -> None:
    violate(diagnoser.websocket_session(socket_survey.polling, socket_survey.websocket_only))

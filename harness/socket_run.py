"""The socket suite's network work, started early (while REST checks run) in concurrent runs."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from harness.config import ConfigError
from harness.findings import ContractViolation
from harness.probe import Probe
from harness.runtime import SmokeRuntime
from harness.socket_evidence import RoundTrip, SocketSurvey
from harness.socket_probe import SocketProber

SURVEY_STEPS = 6  # the longest chain of bounded waits in one probe (connect, call, close...)
ROUND_TRIP_STEPS = 8  # connect, create, join, post, event budget, disconnect, with slack


@dataclass(frozen=True)
class Started:
    """What the early run found, and the token it used (None: connects without a token)."""

    token: str | None
    survey: SocketSurvey
    trip: RoundTrip | None


def trip_transport(survey: SocketSurvey) -> str:
    """The round trip uses websocket when a websocket-only session works, else polling."""
    return "websocket" if survey.websocket_only.ok else "polling"


class SocketRun:
    """Survey and realtime round trip: sent on first use, or started early by `start`.

    Early results are used only for the token the checks ask with, so a run with and without
    the early start reaches the same outcomes.
    """

    def __init__(self, runtime: SmokeRuntime) -> None:
        self.runtime = runtime
        self.prober = SocketProber(runtime.config, runtime.prober)
        self._started: Future[Started | None] | None = None

    @property
    def survey_timeout_s(self) -> float:
        return self.runtime.config.timeout_s * SURVEY_STEPS + 5

    @property
    def trip_timeout_s(self) -> float:
        config = self.runtime.config
        return config.timeout_s * ROUND_TRIP_STEPS + config.contract.socketio.event_budget_ms / 1000

    def start(self, round_trip: bool) -> None:
        """Send the login now; run the survey (and the round trip) on the loop meanwhile."""
        login = self.runtime.login_probe()
        if login is not None:
            self.runtime.prober.fetch(login)
        self._started = self.runtime.loop.submit(self._early(login, round_trip))

    async def _early(self, login: Probe | None, round_trip: bool) -> Started | None:
        if login is not None:
            await asyncio.wrap_future(self.runtime.prober.fetch(login))
        try:
            token = self.runtime.login()
        except (ConfigError, ContractViolation):
            return None  # the checks meet the same error when they ask for the token
        survey = asyncio.ensure_future(self.prober.survey(token, self.runtime.config.origin))
        if not (round_trip and token):
            return Started(token, await survey, None)
        # websocket is the usual answer: start that trip now, redo it over polling if not
        trip = asyncio.ensure_future(self._trip(token, "websocket"))
        if trip_transport(await survey) == "websocket":
            return Started(token, survey.result(), await trip)
        trip.cancel()
        await asyncio.gather(trip, return_exceptions=True)
        return Started(token, survey.result(), await self._trip(token, "polling"))

    def _trip(self, token: str, transport: str) -> Coroutine[Any, Any, RoundTrip]:
        return self.prober.round_trip(token, transport, self.runtime.prober.send)

    def _early_result(self, token: str | None) -> Started | None:
        if self._started is None:
            return None
        started = self._started.result(self.survey_timeout_s + 2 * self.trip_timeout_s)
        return started if started is not None and started.token == token else None

    def survey(self, token: str | None) -> SocketSurvey:
        """Handshake, upgrade, websocket-only, CORS and the connects, all in flight at once."""
        started = self._early_result(token)
        if started is not None:
            return started.survey
        return self.runtime.loop.run(self.prober.survey(token, self.runtime.config.origin),
                                     timeout=self.survey_timeout_s)

    def round_trip(self, token: str, survey: SocketSurvey) -> RoundTrip:
        """Create, join, post over REST, await the event, on the transport `survey` allows."""
        started = self._early_result(token)
        if started is not None and started.trip is not None:
            return started.trip
        return self.runtime.loop.run(self._trip(token, trip_transport(survey)),
                                     timeout=self.trip_timeout_s)

"""The refusals on a websocket of their own, beside the run's Socket.IO session.

The connects without a token and with a forged one need no token and nothing of the run's
chain (handshake -> upgrade -> connect -> join -> post -> event), so they go on a second
websocket opened directly (one request) while that chain runs. Afterwards the same wire says
whether the service still answers after the events of the wrong type (a refusal again: no
new request). When the direct websocket cannot be opened the session does its refusals on
its own connection first, as it would without this wire.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

from harness.probes.socketio_wire import CLOSE_ERRORS, Transport
from harness.records.plan import SessionSpec
from harness.records.session import SessionResult

if TYPE_CHECKING:
    from harness.probes.socketio_session import SessionInputs, SocketSession

TRANSPORT = "websocket-direct"


class RefusalWire:
    """Opens the direct websocket, sends the plan's refusals on it, keeps it for one more
    question (does the service still answer?), and closes it."""

    def __init__(self, session: SocketSession, plan: SessionSpec,
                 inputs: SessionInputs) -> None:
        self.session = session
        self.plan = plan
        self.inputs = inputs
        self.result = SessionResult(TRANSPORT)
        self.opened: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self.wire: Transport | None = None
        self._done = asyncio.Event()

    async def run(self) -> None:
        try:
            self.wire = await self.session.open_direct(self.result, self.inputs)
            self.opened.set_result(self.wire is not None)
            if self.wire is not None:
                self.wire = await self.session.refusals(self.wire, self.plan, self.inputs,
                                                        self.result)
        finally:
            if not self.opened.done():
                self.opened.set_result(False)
            self._done.set()

    async def still_answers(self) -> tuple[bool | None, str]:
        """After the events of the wrong type: a connect without a token again must get an
        answer (refused or accepted). None when this wire is gone (someone else must ask)."""
        await self._done.wait()
        wire = self.wire
        hangs_up = any(a.closed for a in self.result.connects.values())
        if wire is None or wire.closed or hangs_up:  # a refusal closes it: not a question
            return None, ""
        attempt = await self.session.connect_attempt(wire, "no-token-again", None)
        self.session.step(self.result, "connect no-token again", attempt.started,
                          attempt.refused or attempt.accepted)
        if attempt.refused or attempt.accepted:
            return True, "the service still answered a connect on another connection"
        if attempt.closed:
            return False, "the service closed its other connection too"
        return False, attempt.error or "no answer on another open connection"

    async def close(self) -> None:
        await self._done.wait()
        if self.wire is not None:
            with contextlib.suppress(*CLOSE_ERRORS):
                await self.wire.close()

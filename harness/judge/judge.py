"""The judge: each check to the rule registered for its kind, over the evidence gathered.

`Judge` is also what every rule sees: the context and the evidence, with the few ways of
picking a check's evidence that several rules share (its answer, the working session).
"""

from __future__ import annotations

from collections.abc import Callable

from harness.judge.context import Context
from harness.judge.findings import Finding
from harness.judge.kinds import Blocked, Result, kind
from harness.records.evidence import Evidence
from harness.records.http import HttpAnswer
from harness.records.keys import HANDSHAKE, PLAIN_HANDSHAKE, SESSION
from harness.records.outcome import NotTested, Why
from harness.records.plan import Check, check_key
from harness.records.session import SessionResult

NOT_SENT = NotTested("not sent: the run's request budget (--max-requests or the target's rate "
                     "limit)", Why.BUDGET)


class Judge:
    """Judges checks one by one; `judge(check)` returns a Finding, NotTested, Blocked or None."""

    def __init__(self, ctx: Context, evidence: Evidence) -> None:
        self.ctx = ctx
        self.evidence = evidence

    def judge(self, check: Check) -> Result:
        """The check's result; a bug in a rule is said as such, never a traceback."""
        try:
            return kind(check.kind).rule(self, check)
        except Exception as exc:  # noqa: BLE001 - reported as the harness's own failure
            return NotTested(f"the harness could not judge this check ({type(exc).__name__}: "
                             f"{str(exc)[:200]}); please report it")

    def answer(self, check: Check, index: int = 0) -> HttpAnswer | NotTested | None:
        answer = self.evidence.answers.get(check.probes[index])
        if answer is not None and answer.error == "refused-by-budget":
            return NOT_SENT
        return answer

    def answered(self, check: Check, rule: Callable[..., Finding | None], *args: object,
                 missing: str = "") -> Result:
        """`rule(ctx, answer, *args)` over the check's answer; why it was not sent if not."""
        answer = self.answer(check)
        if isinstance(answer, NotTested):
            return answer
        if answer is None:
            return self.no_token() if self.evidence.token_problem or not missing else \
                NotTested(missing)
        return rule(self.ctx, answer, *args)

    def no_token(self) -> NotTested:
        """Why there is no token, worded so that redaction of `token: value` leaves it whole."""
        problem = self.evidence.token_problem
        return NotTested(f"no token ({problem})" if problem else "no token to send it with")

    def plain_handshake(self) -> HttpAnswer | None:
        return self.evidence.answers.get(PLAIN_HANDSHAKE) or self.evidence.answers.get(HANDSHAKE)

    def session(self) -> SessionResult | None:
        return self.evidence.sessions.get(SESSION)

    def working_session(self) -> SessionResult | None:
        """The session, or the polling fallback when the upgrade broke."""
        session = self.session()
        if session is not None and not session.upgrade_ok and self.evidence.fallback:
            return self.evidence.fallback
        return session

    def opened_by(self, session: SessionResult | None) -> Blocked:
        """Blocked by the check that opens the session: the upgrade, or the websocket-only
        open of a server that takes websockets only."""
        if session is not None and session.transport == "websocket-direct":
            return Blocked(check_key("websocket-only", "websocket-only"))
        return Blocked(check_key("upgrade", "websocket"))

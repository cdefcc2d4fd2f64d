"""Input of the wrong type: a 5xx (or a service that went down) is the finding.

REST: each write route's body with fields of the wrong type, with the run's token; a 4xx
passes, a 2xx passes (with --strict it must be a 4xx), a 5xx is `unhandled-bad-input` unless
its body says more (a stack trace, internal details: then that cause). Socket.IO: the events
sent empty and mistyped may be refused (an error ack or event), but the service must still
answer a new handshake afterwards.
"""

from __future__ import annotations

from harness.judge.causes import Cause
from harness.judge.context import Context
from harness.judge.findings import Finding
from harness.judge.judge import NOT_SENT, Judge
from harness.judge.kinds import Result, rule
from harness.judge.rules.internals import internal_detail
from harness.judge.rules.leaks import has_stack_trace, leak, unexpected
from harness.records.http import HttpAnswer
from harness.records.outcome import NotTested
from harness.records.plan import Check


def server_error(ctx: Context, answer: HttpAnswer, what: str) -> Finding | None:
    """A 5xx to bad input: the trace or internals it shows, else unhandled-bad-input."""
    request = answer.request
    line = f"{request.method} {answer.sent_path or request.path} with {what}"
    if has_stack_trace(ctx, answer):
        return ctx.finding(Cause.STACK_TRACE_LEAK, f"{line} answered {answer.status} with a "
                           "stack trace (unhandled-bad-input too)", answer)
    found = internal_detail(ctx, answer, health=False)
    if found is not None:
        return found
    return ctx.finding(Cause.UNHANDLED_BAD_INPUT, f"{line} answered {answer.status}: the "
                       "handler does not check its input's types", answer)


def wrong_types(ctx: Context, answer: HttpAnswer, strict: bool) -> Finding | None:
    status = answer.status
    what = answer.request.label or "fields of the wrong type"
    if status is not None and 500 <= status < 600 and not answer.error:
        return leak(ctx, answer, "a 4xx") if not_the_service(ctx, answer) else \
            server_error(ctx, answer, what)
    if status is not None and 400 <= status < 500 and not answer.error:
        return None
    if status is not None and 200 <= status < 300 and not answer.error:
        if strict:
            return ctx.finding(Cause.CONTRACT_MISMATCH, f"{answer.request.method} "
                               f"{answer.request.path} accepted {what} ({status}); --strict "
                               "requires a 4xx", answer)
        return None
    return leak(ctx, answer, "a 4xx") or unexpected(ctx, answer, "a 4xx")


def not_the_service(ctx: Context, answer: HttpAnswer) -> bool:
    """A 5xx from the way there (a proxy, the Socket.IO proxy, ngrok), not from the handler."""
    found = leak(ctx, answer, "a 4xx")
    return found is not None and found.cause not in (Cause.GENERIC_503_LEAK,
                                                     Cause.STACK_TRACE_LEAK)


@rule("wrong-type", shown_by="suites/rest/test_bad_input.py::test_rejects_wrong_types")
def wrong_type_check(judge: Judge, check: Check) -> Result:
    return judge.answered(check, wrong_types, judge.ctx.config.strict)


@rule("bad-event", shown_by="suites/socket/test_bad_events.py::test_survives_bad_events")
def bad_event_check(judge: Judge, check: Check) -> Result:
    session = judge.session()
    if session is None:
        return NOT_SENT
    if session.alive_after_probes is None:
        connected = session.connects.get("valid-token")
        if connected is None:
            return judge.no_token()
        return NotTested("the run's own connection did not get as far as the events")
    if session.alive_after_probes:
        return None
    events = ", ".join(repr(e) for e in session.probed_events)
    after = session.after_probes
    said = judge.ctx.evidence(after) if after is not None else \
        session.after_probes_seen or "no websocket could be opened"
    return judge.ctx.finding(Cause.UNHANDLED_BAD_INPUT, f"the Socket.IO service stopped "
                             f"answering after {events} were sent empty and with a payload of "
                             "the wrong type (an uncaught error in the handler?)",
                             evidence=said, socket=True)

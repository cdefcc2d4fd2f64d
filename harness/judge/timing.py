"""Each check's own time: the requests or Socket.IO steps it read, its latency and its budget.

An HTTP check's latency is its probe's answer; a Socket.IO check's is the step of the session
it judges (the upgrade, its own connect, the outsider's join; the realtime event from its
message's post to its arrival), never the whole session's. Its steps (with the redacted
exchange of each request) are what Allure shows.
"""

from __future__ import annotations

from harness.judge.context import Context
from harness.judge.follow import TIMED_KINDS
from harness.judge.outcomes import FAILED, Outcome, Step
from harness.records.evidence import Evidence
from harness.records.keys import SESSION
from harness.records.plan import Check, Plan
from harness.records.session import SessionResult
from harness.records.timeline import Span

# the session steps a socket check reads, its own (the latency) last
SOCKET_STEPS: dict[str, tuple[str, ...]] = {
    "upgrade": ("upgrade",),
    "websocket-only": ("open",),
    "connect": ("connect valid-token",),
    "realtime": ("join", "event"),
    "room-access": ("outsider connect", "outsider join"),
    "delivery": ("peer connect", "peer join", "event"),
}
EVENT_KINDS = ("realtime", "delivery")
PRIVATE_KINDS = ("object-access",)


def socket_steps(check: Check) -> tuple[str, ...]:
    """The names of the session steps `check` reads (its own step last); () for none."""
    if check.kind == "connect-refused":
        return (f"connect {check.params['variant']}",)
    return SOCKET_STEPS.get(check.kind, ())


def _session_step(evidence: Evidence, name: str) -> Span | None:
    """The step of the run's session, or of the polling fallback when the upgrade broke."""
    for session in (evidence.sessions.get(SESSION), evidence.fallback):
        if isinstance(session, SessionResult) and name in session.steps:
            return session.steps[name]
    return None


def _steps(ctx: Context, check: Check, evidence: Evidence, bodies: bool) -> list[Step]:
    steps = [Step(span) for name in socket_steps(check)
             if (span := _session_step(evidence, name)) is not None]
    answers = {probe: evidence.answers[probe] for probe in check.probes
               if probe in evidence.answers}
    for session in (evidence.sessions.get(SESSION), evidence.fallback):
        if check.kind == "bad-event" and session is not None and session.after_probes:
            answers[session.after_probes.request.key] = session.after_probes
        if check.kind in EVENT_KINDS and session is not None and session.post is not None:
            answers[session.post.request.key] = session.post
    for span in evidence.timeline.ordered():
        answer = answers.get(span.key.removesuffix(":quiet"))
        if answer is not None:
            alone = " (measured again alone)" if span.key.endswith(":quiet") else ""
            steps.append(Step(span, ctx.exchange(answer, bodies), span.label + alone))
    return steps


def _post_to_event(evidence: Evidence, event: Span) -> int:
    """A realtime check's own time: from the message's REST post (when it goes that way) to
    the event's arrival; the event's wait alone when the message went by socket."""
    posts = [session.post.request.key for session in (evidence.sessions.get(SESSION),
                                                      evidence.fallback)
             if session is not None and session.post is not None]
    started = [span.start_s for span in evidence.timeline.spans
               if span.key in posts and span.start_s <= event.start_s]
    return round((event.end_s - max(started, default=event.start_s)) * 1000)


def shows_bodies(outcome: Outcome) -> bool:
    """Bodies go into a step's exchange only for a failed check (what a passing run sends and
    reads stays out of the reports: identities, conversations), and never for another user's
    objects (their shape is the evidence, never their content)."""
    return outcome.outcome == FAILED and outcome.check.kind not in PRIVATE_KINDS


def budget_ms(check: Check, plan: Plan, ctx: Context) -> int:
    """The check's latency budget: the contract's (health routes, the realtime event), else
    its request's timeout (the most any probe may take)."""
    if check.kind in TIMED_KINDS:
        return int(check.params["budget_ms"])
    if check.kind in EVENT_KINDS:
        return ctx.contract.socketio.event_budget_ms
    request = plan.request(check.probes[0]) if check.probes else None
    timeout = getattr(request, "timeout_s", None) or ctx.config.timeout_s
    return round(timeout * 1000)


def timed(outcomes: list[Outcome], plan: Plan, ctx: Context, evidence: Evidence) -> None:
    """Give every outcome its steps, its own latency (when its finding gave none) and its
    budget."""
    for outcome in outcomes:
        check = outcome.check
        outcome.steps = _steps(ctx, check, evidence, shows_bodies(outcome))
        outcome.budget_ms = budget_ms(check, plan, ctx)
        if outcome.latency_ms is not None:
            continue
        own = socket_steps(check)
        span = _session_step(evidence, own[-1]) if own else None
        answer = evidence.answers.get(check.probes[0]) if check.probes else None
        if span is not None and check.kind in EVENT_KINDS:
            outcome.latency_ms = _post_to_event(evidence, span)
        elif span is not None:
            outcome.latency_ms = span.ms
        elif answer is not None and answer.status is not None:
            outcome.latency_ms = answer.latency_ms
        elif check.kind == "bad-event" and outcome.steps:
            outcome.latency_ms = outcome.steps[-1].span.ms

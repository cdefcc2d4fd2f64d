"""A run from end to end: stack -> plan -> probes -> judge -> RunResult (reports read it).

`run(config)` is the whole pipeline; the CLI and the pytest plugin both call it and only
present what it returns. The engine decides nothing about the target: what the probes saw
goes to the judge as evidence, and the judge's rules say what it means.

May import: config, contract, history, judge, plan, probes, process, records, sanitize,
stacks.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from pathlib import Path

from harness.config import RunConfig
from harness.contract.model import RateLimit
from harness.history import HistoryError, default_path
from harness.history.ledger import sent_under
from harness.judge.context import Context
from harness.judge.follow import slow_probes, wanted_follow_ups
from harness.judge.judge import Judge
from harness.judge.kinds import Result
from harness.judge.normalise import (
    ack_ok,
    created_id,
    login_token,
    token_claims,
    user_id,
    version,
)
from harness.judge.outcomes import settle
from harness.judge.result import RunResult, outcome_counts
from harness.judge.root_causes import RootCause, rank_root_causes
from harness.judge.rules.preflight import (
    Abort,
    never_healthy,
    nothing_answered,
    preflight,
    start_failure,
    token_problem,
)
from harness.judge.timing import timed
from harness.judge.verdict import verdict_of
from harness.plan import build_plan
from harness.plan.budget import fit
from harness.probes.execute import Executor, Readers
from harness.probes.http import HttpProbeClient, PathCap
from harness.probes.wait import wait_until_healthy
from harness.process.signals import received, run_interruptible
from harness.records.evidence import StartFailure
from harness.records.keys import DOCUMENT
from harness.records.outcome import NotTested, Verdict, Why
from harness.records.plan import Check, Plan
from harness.records.tokens import TokenCache
from harness.sanitize.redact import Redactor
from harness.stacks.errors import ServiceStartFailed, StackStartError
from harness.stacks.start import PreparedStack, StartedStack, prepare_stack


class Aborted(Exception):
    """The run cannot judge the contract: the judge's `Abort` says how it ends and why."""

    def __init__(self, abort: Abort) -> None:
        super().__init__(abort.finding.message)
        self.abort = abort


Progress = Callable[[dict[str, int], dict[str, int]], object]


def plan_run(config: RunConfig, say: Callable[[str], object] = print,
             ) -> tuple[PreparedStack, Plan]:
    """The stack the run will use (not started) and the run's one plan, made from what the
    stack will provide."""
    prepared = prepare_stack(config, say)
    return prepared, build_plan(prepared.config)


def run(config: RunConfig, only: Iterable[str] | None = None,
        say: Callable[[str], object] = print, progress: Progress | None = None,
        planned: tuple[PreparedStack, Plan] | None = None,
        tokens: TokenCache | None = None) -> RunResult:
    """Start what the config needs, send the plan, judge it; never raises for a target.
    `tokens` keeps the run's tokens (watch hands the same cache to every run)."""
    started, clock = datetime.now(timezone.utc).isoformat(timespec="seconds"), time.perf_counter()
    redactor = Redactor(config.secrets)
    prepared, plan = planned or plan_run(config, say)
    for secret in prepared.config.secrets:
        redactor.add(secret)
    if only is not None:
        plan = plan.select(only)
    result = RunResult(prepared.config, plan, config.url or prepared.label, started,
                       notes=list(config.warnings), redactor=redactor)
    stack: StartedStack | None = None
    probing: list[Executor] = []
    try:
        stack = prepared.start()
        result.config, result.target = stack.config, stack.label
        result.notes += stack.notes
        run_interruptible(_probe_and_judge(result, progress, say, probing, tokens))
    except Aborted as exc:
        _aborted(result, exc.abort)
    except KeyboardInterrupt:
        _interrupted(result, probing[0] if probing else None)
    except StackStartError as exc:
        failed = exc if isinstance(exc, ServiceStartFailed) else None
        failure = StartFailure(
            exc.target or prepared.label, str(exc), failed.service if failed else None,
            failed.exit_code if failed else None, tuple(failed.log_tail) if failed else (),
            "ngrok" if prepared.config.stack == "ngrok" else "containers")
        result.target = failure.target
        _aborted(result, start_failure(Context(result.config, redactor), failure))
    finally:
        if stack is not None:
            result.containers = stack.container_logs(redactor)
            stack.stop()
        elif prepared.handle is not None and hasattr(prepared.handle, "stop"):
            prepared.handle.stop()
        result.duration_s = time.perf_counter() - clock
    return result


def _aborted(result: RunResult, abort: Abort) -> None:
    finding = abort.finding
    result.verdict, result.error = abort.verdict, finding.render()
    result.root_causes = [RootCause(finding.cause, finding.message, finding.evidence,
                                    dependency=finding.dependency)]


async def _report_progress(client: HttpProbeClient, plan: Plan, progress: Progress) -> None:
    """Requests sent per suite against the plan's, a few times a second, until cancelled."""
    totals = plan.by_suite()
    while True:
        progress(dict(client.sent), totals)
        await asyncio.sleep(0.2)


def _readers(config: RunConfig) -> Readers:
    """The judge's normal form of tokens, ids and acks, for the executor."""
    login = config.contract.auth.login
    return Readers(token=lambda answer: login_token(answer, login) if login else None,
                   created_id=lambda answer: created_id(answer, config.contract.flow.id_fields),
                   ack_ok=ack_ok,
                   user_id=lambda token, answer: user_id(token, answer,
                                                         config.contract.auth.user_id))


def _interrupted(result: RunResult, executor: Executor | None) -> None:
    """Ctrl-C (or SIGTERM): judge what answered, name what was still pending, say what did
    not run; the verdict is never a pass."""
    result.verdict = Verdict.INCONCLUSIVE
    why = f"interrupted ({received() or 'SIGINT'})"
    if executor is None:
        result.error = f"{why} before anything was sent; nothing of this run is a verdict"
        return
    evidence, plan = executor.evidence, executor.plan
    ctx = Context(result.config, result.redactor)
    judge = Judge(ctx, evidence)
    answered = set(evidence.answers) | set(evidence.sessions)
    stopped = NotTested(f"{why} before its probe answered", Why.PREREQUISITE)

    def judged(check: Check) -> Result:
        """A session the interrupt cut short has not made every step: a step it lacks is the
        interrupt's doing, not the target's."""
        found = judge.judge(check)
        return stopped if isinstance(found, NotTested) and \
            set(evidence.sessions) & set(check.probes) else found

    ran = {check.key: judged(check) for check in plan.checks
           if check.key not in plan.left_out and check.probes
           and all(probe in answered for probe in check.probes)}
    result.plan = plan
    result.outcomes = settle(plan, {check.key: ran.get(check.key, stopped)
                                    for check in plan.checks}, [])
    result.root_causes = rank_root_causes(result.outcomes, ctx, evidence)
    pending, queued = executor.pending()
    waiting = (f"; still waiting for {', '.join(pending[:3])}"
               + (f" and {len(pending) - 3} more" if len(pending) > 3 else "")) if pending else ""
    waiting += f"; {queued} more waiting for their turn, not sent" if queued else ""
    result.error = ctx.clean(f"{why} after {len(evidence.answers)} answers{waiting}: "
                             f"{len(ran)} checks judged from what answered, "
                             f"{len(plan.checks) - len(ran)} did not run; not a verdict on the "
                             "target")
    result.requests_by_suite = dict(executor.client.sent)
    result.timeline = executor.client.timeline.ordered()
    result.requests_by_path = dict(executor.client.paths)


async def _probe_and_judge(result: RunResult, progress: Progress | None = None,
                           say: Callable[[str], object] = print,
                           probing: list[Executor] | None = None,
                           tokens: TokenCache | None = None) -> None:
    config = result.config
    ctx = Context(config, result.redactor)
    client = HttpProbeClient(config.base_url, timeout_s=config.timeout_s,
                             max_requests=config.max_requests)
    plan = _announce(within_max_requests(config, result.plan), result.plan, say)
    plan = _announce(_within_ledger(config, plan, client, result.notes), plan, say)
    executor = Executor(config, plan, client, _readers(config))
    if probing is not None:
        probing.append(executor)
    evidence = executor.evidence
    try:
        if config.wait_until_healthy is not None:
            waited = await wait_until_healthy(client, plan.request(DOCUMENT),
                                              config.wait_until_healthy, say=print)
            result.waited_s = waited.waited_s
            if waited.last is not None:
                raise Aborted(never_healthy(ctx, waited.last, config.wait_until_healthy))
        await executor.first()
        abort = preflight(ctx, evidence)
        if abort is not None:
            raise Aborted(abort)
        logins = executor.logins()
        fitted = _fit_budget(executor, plan, logins)
        plan = _announce(fitted, plan, say, sent=len(evidence.answers) + sum(
            1 for key in logins if fitted.request(key) is not None))
        executor.plan = result.plan = plan
        await executor.preflight()
        for token in (evidence.token, *evidence.tokens.values(), *evidence.forgeries.values()):
            if token:  # a login's token may be opaque (a session id): masked like a secret;
                # a forgery of a JWT token carries its claims: masked like it
                result.redactor.add(token)
        if tokens is not None:
            _keep_tokens(tokens, {"valid": evidence.token, **evidence.tokens},
                         evidence.user_ids)
        abort = preflight(ctx, evidence)
        if abort is not None:
            raise Aborted(abort)
        evidence.token_problem = token_problem(evidence)
        ticker = asyncio.ensure_future(_report_progress(client, plan, progress)) \
            if progress is not None else None
        await executor.run()
        if ticker is not None:
            ticker.cancel()
        abort = nothing_answered(ctx, evidence)
        if abort is not None:
            raise Aborted(abort)
        await _follow_ups(Judge(ctx, evidence), executor)
        plan = result.plan = executor.plan
    finally:
        result.requests_by_suite = dict(client.sent)
        result.requests_by_path = dict(client.paths)
        result.rate_limit = client.budget.document()
        await executor.stop()
        result.timeline = client.timeline.ordered()
        await client.close()
    judge = Judge(ctx, evidence)
    outcomes = settle(plan, {check.key: judge.judge(check) for check in plan.checks
                             if check.key not in plan.left_out},
                      list(config.contract.known_issues))
    timed(outcomes, plan, ctx, evidence)  # each check's own probe or Socket.IO step
    result.outcomes, result.clock_epoch_s = outcomes, evidence.timeline.epoch
    result.root_causes = rank_root_causes(outcomes, ctx, evidence)
    result.verdict = verdict_of(outcomes)
    document = evidence.answers.get(DOCUMENT)
    result.version = version(document.json()) if document is not None else None


def within_max_requests(config: RunConfig, plan: Plan) -> Plan:
    """The plan that runs under --max-requests: its most important checks, every request of
    the budget used (follow-ups only if room is left)."""
    if config.max_requests is None:
        return plan
    return fit(plan, config.max_requests, f"did not fit --max-requests {config.max_requests}",
               reserve=0)


def _within_ledger(config: RunConfig, plan: Plan, client: HttpProbeClient,
                   notes: list[str]) -> Plan:
    """The plan fitted to the ledger (`within_ledger`); the client sends nothing past what is
    left, follow-ups included."""
    plan, caps = within_ledger(config, plan, notes)
    client.caps.extend(caps)
    return plan


def within_ledger(config: RunConfig, plan: Plan,
                  notes: list[str]) -> tuple[Plan, list[PathCap]]:
    """The plan fitted to what this machine has left of each rate limit the contract
    declares (the history's ledger: what it sent to this target in the window), and the cap
    on each limit's paths. Reads the history; sends nothing."""
    caps: list[PathCap] = []
    for limit in config.contract.rate_limits:
        used = _ledger_used(config, limit, notes)
        left = max(0, limit.limit - used)
        caps.append(PathCap(limit.prefixes, left))
        why = (f"did not fit the contract's rate limit on {limit.label}: {used} sent from "
               f"this machine in the window, {left} left")
        plan = fit(plan, left, why, reserve=0, covers=limit.covers,
                   socket_path=config.contract.socketio.path)
    return plan, caps


def _ledger_used(config: RunConfig, limit: RateLimit, notes: list[str]) -> int:
    try:
        return sent_under(Path(config.history) if config.history else default_path(),
                          config.target_key, limit.prefixes, limit.window_s)
    except HistoryError as exc:
        notes.append(f"the request ledger cannot be read ({exc}): the declared rate limit "
                     f"on {limit.label} is applied to this run alone")
        return 0


def _keep_tokens(tokens: TokenCache, found: dict[str, str | None],
                 user_ids: dict[str, str]) -> None:
    """Remember the run's tokens with their expiry (a JWT's `exp`; None for opaque ones) and
    the user id each identity's login answered (a later run has no login answer to read)."""
    for role, token in found.items():
        if token:
            expiry = token_claims(token).get("exp")
            tokens.keep(role, token, float(expiry) if isinstance(expiry, (int, float)) else None,
                        user_ids.get(role))


def _announce(fitted: Plan, planned: Plan, say: Callable[[str], object], sent: int = 0) -> Plan:
    """Say, before the bulk is sent, what a request budget leaves out (`sent`: requests the
    run has already made, which the fitted plan's count includes)."""
    dropped = len(fitted.left_out) - len(planned.left_out)
    if dropped > 0:
        why = next(iter({str(w) for w in fitted.left_out.values()} -
                        {str(w) for w in planned.left_out.values()}), "")
        more = max(0, fitted.request_count - sent)
        count = f"{more} {'more ' if sent else ''}request{'s' if more != 1 else ''}"
        already = f" ({sent} already sent)" if sent else ""
        checks = f"{dropped} check{'s' if dropped != 1 else ''}"
        say(f"the plan needs {planned.request_count} requests; {checks} {why}: running "
            f"the most important ones in {count}{already}")
    return fitted


def _fit_budget(executor: Executor, plan: Plan, logins: list[str]) -> Plan:
    """Never cause a 429: when the target's first answer announces fewer requests left than
    the plan needs, run the most important checks that fit and say what was left out (the
    logins the budget affords, sent next in their order, count as spent; the others are left
    out like any probe that does not fit)."""
    budget = executor.client.budget.last
    if budget is None or budget.remaining is None:
        return plan
    logins = logins[:max(0, budget.remaining)]
    sent = frozenset(executor.evidence.answers) | frozenset(logins)
    return fit(plan, max(0, budget.remaining - len(logins)),
               f"did not fit the target's rate limit "
               f"({budget.remaining} request{'s' if budget.remaining != 1 else ''} left"
               f"{f', reset in {budget.reset_s} s' if budget.reset_s else ''})", sent)


async def _follow_ups(judge: Judge, executor: Executor) -> None:
    """The plan's follow-ups the first pass asks for, when the budget has room for them."""
    wanted = wanted_follow_ups(judge, executor.plan)
    if wanted and len(wanted) <= _room(executor):
        await executor.expand(wanted)
    slow = slow_probes(judge, executor.plan)
    if len(slow) <= _room(executor):
        await executor.remeasure(slow)


def _room(executor: Executor) -> int:
    """Requests the run may still send without reaching a limit (with a small reserve)."""
    client, room = executor.client, 10**9
    if client.max_requests is not None:
        room = client.max_requests - client.requests_sent
    budget = client.budget.last
    if budget is not None and budget.remaining is not None:
        room = min(room, budget.remaining - 2)
    return min([room, *(cap.left for cap in client.caps)])


__all__ = ["RunResult", "outcome_counts", "plan_run", "run", "within_max_requests"]

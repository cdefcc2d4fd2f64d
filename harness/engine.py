"""A run from end to end: stack -> plan -> probes -> judge -> RunResult (reports read it).

`run(config)` is the whole pipeline; the CLI and the pytest plugin both call it and only
present what it returns.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone

from harness.config import RunConfig
from harness.judge.causes import Cause
from harness.judge.context import Context
from harness.judge.findings import Finding
from harness.judge.judge import Judge
from harness.judge.outcomes import BLOCKED, FAILED, NOT_TESTED, Outcome, settle
from harness.judge.root_causes import RootCause, rank_root_causes
from harness.judge.rules.leaks import leak, ngrok_code
from harness.judge.rules.rest import login as login_rule
from harness.judge.verdict import verdict_of
from harness.plan import Plan, build_plan
from harness.plan.budget import fit
from harness.plan.build import missing_inputs
from harness.plan.rest import LOGIN, expansion_request
from harness.probes.execute import Evidence, Executor
from harness.probes.http import HttpProbeClient
from harness.probes.wait import wait_until_healthy
from harness.process.signals import run_interruptible
from harness.records.http import HttpAnswer
from harness.records.plan import Family
from harness.sanitize.redact import Redactor
from harness.stacks.start import StartedStack, start_stack

HEALTH_FAMILIES = (Family.HEALTH_DOCUMENT, Family.AGGREGATE, Family.ALIAS)
UNREACHABLE = {"connect": "connection failed", "tls": "the TLS handshake failed",
               "invalid-url": "the URL cannot be requested"}


@dataclass
class RunResult:
    """Everything a report shows about one run."""

    config: RunConfig
    plan: Plan
    target: str
    started_at: str
    verdict: str = "pass"
    error: str | None = None
    outcomes: list[Outcome] = field(default_factory=list)
    root_causes: list[RootCause] = field(default_factory=list)
    requests_by_suite: dict[str, int] = field(default_factory=dict)
    rate_limit: dict[str, int | None] | None = None
    duration_s: float = 0.0
    notes: list[str] = field(default_factory=list)
    waited_s: float | None = None
    version: str | None = None
    containers: list[dict[str, str]] | None = None
    redactor: Redactor = field(default_factory=Redactor)

    @property
    def requests_sent(self) -> int:
        return sum(self.requests_by_suite.values())


class Aborted(Exception):
    """The run cannot judge the contract: `verdict` says how it ends, `finding` why."""

    def __init__(self, verdict: str, finding: Finding) -> None:
        super().__init__(finding.message)
        self.verdict = verdict
        self.finding = finding


Progress = Callable[[dict[str, int], dict[str, int]], object]


def run(config: RunConfig, only: Iterable[str] | None = None,
        say: Callable[[str], object] = print, progress: Progress | None = None) -> RunResult:
    """Start what the config needs, send the plan, judge it; never raises for a target."""
    started, clock = datetime.now(timezone.utc).isoformat(timespec="seconds"), time.perf_counter()
    redactor = Redactor(config.secrets)
    result = RunResult(config, build_plan(config), config.url or config.stack, started,
                       notes=list(config.warnings), redactor=redactor)
    stack: StartedStack | None = None
    try:
        stack = start_stack(config, say)
        for secret in stack.config.secrets:
            redactor.add(secret)
        result.config, result.target = stack.config, stack.label
        result.notes += stack.notes
        result.plan = build_plan(stack.config)
        if only is not None:
            result.plan = result.plan.select(only)
        run_interruptible(_probe_and_judge(result, progress, say))
    except Aborted as exc:
        result.verdict, result.error = exc.verdict, exc.finding.render()
        result.root_causes = [RootCause(exc.finding.cause, exc.finding.message,
                                        exc.finding.evidence)]
    except KeyboardInterrupt:
        from harness.process.signals import received

        result.verdict = "inconclusive"
        result.error = (f"interrupted ({received() or 'SIGINT'}) before every check was "
                        "judged; nothing of this run is a verdict on the target")
    except Exception as exc:
        if type(exc).__name__ not in ("HermeticError", "ServiceStartFailed"):
            raise
        result.verdict, result.error = "error", _start_failure(exc, stack)
        result.target = getattr(exc, "target", result.target)
    finally:
        if stack is not None:
            result.containers = stack.container_logs(redactor)
            stack.stop()
        result.duration_s = time.perf_counter() - clock
    return result


def _start_failure(exc: Exception, stack: StartedStack | None) -> str:
    """A stack that did not start: which service, its exit code and last log lines."""
    service = getattr(exc, "service", None)
    if service is None:
        return f"[{Cause.TARGET_UNREACHABLE.code}] containers did not start: {exc}"
    tail = "\n".join(f"    {line}" for line in getattr(exc, "log_tail", [])[-20:])
    code = getattr(exc, "exit_code", None)
    return (f"[{Cause.SERVICE_START_FAILED.code}] service {service!r} did not start"
            f"{f' (exit code {code})' if code is not None else ''}: {exc}\n"
            f"  its last log lines:\n{tail}\n  next step: {Cause.SERVICE_START_FAILED.next_step}")


async def _report_progress(client: HttpProbeClient, plan: Plan, progress: Progress) -> None:
    """Requests sent per suite against the plan's, a few times a second, until cancelled."""
    totals = plan.by_suite()
    while True:
        progress(dict(client.sent), totals)
        await asyncio.sleep(0.2)


async def _probe_and_judge(result: RunResult, progress: Progress | None = None,
                           say: Callable[[str], object] = print) -> None:
    config = result.config
    ctx = Context(config, result.redactor)
    client = HttpProbeClient(config.base_url, timeout_s=config.timeout_s,
                             max_requests=config.max_requests)
    plan = result.plan
    if config.max_requests is not None:
        plan = _announce(fit(plan, config.max_requests,
                             f"did not fit --max-requests {config.max_requests}"), plan, say)
    executor = Executor(config, plan, client)
    try:
        if config.wait_until_healthy is not None:
            waited = await wait_until_healthy(client, config, say=print)
            result.waited_s = waited.waited_s
            if waited.last is not None:
                raise Aborted("error", leak(ctx, waited.last, "a healthy answer") or ctx.finding(
                    Cause.HEALTH_DOWN, f"{config.url} did not become healthy within "
                    f"{config.wait_until_healthy:g} s", waited.last))
        preflight = await executor.preflight()
        _judge_preflight(ctx, executor, preflight)
        plan = _announce(_fit_budget(executor, plan), plan, say,
                         sent=len(executor.evidence.answers))
        executor.plan = result.plan = plan
        ticker = asyncio.ensure_future(_report_progress(client, plan, progress)) \
            if progress is not None else None
        await executor.run()
        if ticker is not None:
            ticker.cancel()
        _require_some_answer(ctx, executor)
        await _follow_ups(ctx, executor, plan)
        plan = result.plan = executor.plan
    finally:
        result.requests_by_suite = dict(client.sent)
        result.rate_limit = client.budget.document()
        await client.close()
    judge = Judge(ctx, executor.evidence)
    outcomes = settle(plan, {check.key: judge.judge(check) for check in plan.checks
                             if check.key not in plan.left_out},
                      list(config.contract.known_issues))
    for outcome in outcomes:
        answer = executor.evidence.answers.get(outcome.check.probes[0]) \
            if outcome.check.probes else None
        session = executor.evidence.sessions.get(outcome.check.probes[0]) \
            if outcome.check.probes else None
        if outcome.latency_ms is None and answer is not None and answer.status is not None:
            outcome.latency_ms = answer.latency_ms
        elif outcome.latency_ms is None and session is not None:
            outcome.latency_ms = round(session.elapsed_s * 1000)
    result.outcomes = outcomes
    result.root_causes = rank_root_causes(outcomes, ctx, executor.evidence)
    left_for_input = {key for key, why in plan.left_out.items()
                      if any(why.startswith(prefix) for prefix in _input_reasons(config))}
    result.verdict = verdict_of(outcomes, left_for_input)
    result.version = _version(executor.evidence)


def _input_reasons(config: RunConfig) -> list[str]:
    from harness.plan.build import NEEDS_REASON

    return [NEEDS_REASON[need] for need in missing_inputs(config)]


def _judge_preflight(ctx: Context, executor: Executor, answers: list[HttpAnswer]) -> None:
    """End the run before the suites when the target is not there, rate-limits everything,
    or refuses the configured credentials."""
    config = ctx.config
    first = answers[0] if answers else None
    if first is not None and first.status is None and first.error in UNREACHABLE:
        plain = first.error == "tls" and "WRONG_VERSION_NUMBER" in (first.error_detail or "")
        hint = " (the port speaks plain HTTP: use http://)" if plain else ""
        raise Aborted("error", ctx.finding(Cause.TARGET_UNREACHABLE, f"{config.url} is "
                      f"unreachable: {UNREACHABLE[first.error]}{hint}", first))
    if first is not None and ngrok_code(first) == "3200":
        raise Aborted("error", leak(ctx, first, "any answer from the gateway"))  # type: ignore[arg-type]
    if first is not None and first.status == 429:
        raise Aborted("inconclusive", leak(ctx, first, "its own answer, not 429"))  # type: ignore[arg-type]
    login = executor.evidence.answers.get(LOGIN)
    if login is not None and login.status in (400, 401, 403):
        raise Aborted("inconclusive", login_rule(ctx, login, False))  # type: ignore[arg-type]
    if login is not None and login.status == 429:
        executor.evidence.token_problem = (f"the login was rate-limited: 429, Retry-After "
                                           f"{login.headers.get('retry-after', 'not given')}")
    if config.credentials.token:
        checked = [a for a in answers[1:] if a.request.auth == "valid"]
        if checked and checked[0].status in (401, 403):
            raise Aborted("inconclusive", ctx.finding(
                Cause.CREDENTIALS_REJECTED, f"{checked[0].request.request_line} refused "
                f"SMOKE_TOKEN ({checked[0].status}): the token is expired, for another "
                "environment, or signed with another secret", checked[0]))


def _announce(fitted: Plan, planned: Plan, say: Callable[[str], object], sent: int = 0) -> Plan:
    """Say, before the bulk is sent, what a request budget leaves out (`sent`: requests the
    run has already made, which the fitted plan's count includes)."""
    dropped = len(fitted.left_out) - len(planned.left_out)
    if dropped > 0:
        why = next(iter(set(fitted.left_out.values()) - set(planned.left_out.values())), "")
        more = max(0, fitted.request_count - sent)
        count = f"{more} {'more ' if sent else ''}request{'s' if more != 1 else ''}"
        already = f" ({sent} already sent)" if sent else ""
        say(f"the plan needs {planned.request_count} requests; {dropped} checks {why}: running "
            f"the most important ones in {count}{already}")
    return fitted


def _require_some_answer(ctx: Context, executor: Executor) -> None:
    """A target that accepted connections but answered nothing at all is unreachable."""
    answers = list(executor.evidence.answers.values())
    if answers and all(answer.status is None for answer in answers):
        first = answers[0]
        raise Aborted("error", ctx.finding(
            Cause.TARGET_UNREACHABLE, f"{ctx.config.url} accepted connections but sent no HTTP "
            f"answer to any of {len(answers)} requests ({first.error}: {first.error_detail})",
            first))


def _fit_budget(executor: Executor, plan: Plan) -> Plan:
    """Never cause a 429: when the target announces fewer requests left than the plan
    needs, run the most important checks that fit and say what was left out."""
    budget = executor.client.budget.last
    if budget is None or budget.remaining is None:
        return plan
    sent = frozenset(executor.evidence.answers)
    return fit(plan, budget.remaining, f"did not fit the target's rate limit "
               f"({budget.remaining} requests left"
               f"{f', reset in {budget.reset_s} s' if budget.reset_s else ''})", sent)


async def _follow_ups(ctx: Context, executor: Executor, plan: Plan) -> None:
    """The conditional probes: the auth matrix on every route when a variant failed on the
    matrix route; a quiet re-measurement of every health route that looked slow."""
    judge = Judge(ctx, executor.evidence)
    results = {check.key: judge.judge(check) for check in plan.checks
               if check.family is Family.AUTH and check.key not in plan.left_out}
    no_token_ok = {check.params["route"] for check in plan.checks if check.key in results
                   and check.params["variant"] == "no-token" and results[check.key] is None}
    failed_variants = {check.params["variant"] for check in plan.checks
                       if check.key in results and isinstance(results[check.key], Finding)
                       and check.params["route"] in no_token_ok}
    wanted = [key for key in plan.conditional if key.rsplit(":", 1)[1] in failed_variants]
    if wanted and len(wanted) <= _room(executor):
        pairs = [expansion_request(ctx.config, key) for key in wanted]
        executor.plan = replace(executor.plan, checks=executor.plan.checks + tuple(
            c for c, _ in pairs), http=executor.plan.http + tuple(r for _, r in pairs))
        await executor.expand([r for _, r in pairs])
    slow = []
    for check in plan.checks:
        if check.family in HEALTH_FAMILIES and check.key not in plan.left_out:
            answer = executor.evidence.answers.get(check.probes[0])
            if answer is not None and answer.elapsed_s * 1000 > check.params["budget_ms"]:
                slow.append(check.probes[0])
    slow = list(dict.fromkeys(slow))
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
    return room


def _version(evidence: Evidence) -> str | None:
    answer = evidence.answers.get("health:document")
    body = answer.json() if answer is not None else None
    version = body.get("version") if isinstance(body, dict) else None
    return str(version) if isinstance(version, (str, int, float)) else None


def outcome_counts(outcomes: list[Outcome]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for outcome in outcomes:
        counts[outcome.outcome] = counts.get(outcome.outcome, 0) + 1
    return counts


__all__ = ["BLOCKED", "FAILED", "NOT_TESTED", "RunResult", "outcome_counts", "run"]

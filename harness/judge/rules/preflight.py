"""Rules that end a run before the suites: the target is not there, rate-limits everything,
refuses the run's credentials or never became healthy; a stack that did not start."""

from __future__ import annotations

from dataclasses import dataclass

from harness.judge.causes import Cause
from harness.judge.context import Context
from harness.judge.findings import Finding
from harness.judge.normalise import dependency_in
from harness.judge.rules.leaks import dependency_down, leak, ngrok_code
from harness.judge.rules.rest import login
from harness.records.evidence import Evidence, StartFailure
from harness.records.http import HttpAnswer
from harness.records.keys import LOGIN
from harness.records.outcome import Verdict

UNREACHABLE = {"connect": "connection failed", "tls": "the TLS handshake failed",
               "invalid-url": "the URL cannot be requested"}
LOG_TAIL_LINES = 20


@dataclass(frozen=True)
class Abort:
    """The run cannot judge the contract: `verdict` says how it ends, `finding` why."""

    verdict: Verdict
    finding: Finding


def preflight(ctx: Context, evidence: Evidence) -> Abort | None:
    """After the first answer and the login: stop when there is nothing to judge."""
    config, first = ctx.config, evidence.first
    if first is not None and first.status is None and first.error in UNREACHABLE:
        plain = first.error == "tls" and "WRONG_VERSION_NUMBER" in (first.error_detail or "")
        hint = " (the port speaks plain HTTP: use http://)" if plain else ""
        return Abort(Verdict.ERROR, ctx.finding(Cause.TARGET_UNREACHABLE, f"{config.url} is "
                     f"unreachable: {UNREACHABLE[first.error]}{hint}", first))
    if first is not None and ngrok_code(first) == "3200":
        return Abort(Verdict.ERROR, leak(ctx, first, "any answer from the gateway"))  # type: ignore[arg-type]
    if first is not None and first.status == 429:
        return Abort(Verdict.INCONCLUSIVE, leak(ctx, first, "its own answer, not 429"))  # type: ignore[arg-type]
    answer = evidence.answers.get(LOGIN)
    if answer is not None and answer.status is not None and answer.status >= 400:
        down = dependency_in(answer.text[:65536])
        if down is not None:  # the login's own database, not the password
            what = f"{answer.request.method} {answer.sent_path or answer.request.path} " \
                   "should answer 200 with a token"
            return Abort(Verdict.FAIL, dependency_down(ctx, answer, down, what))
    if answer is not None and answer.status in (400, 401, 403):
        return Abort(Verdict.INCONCLUSIVE, login(ctx, answer, False))  # type: ignore[arg-type]
    checks = evidence.token_checks
    if config.credentials.token and checks and all(c.status in (401, 403) for c in checks):
        checked = checks[0]
        return Abort(Verdict.INCONCLUSIVE, ctx.finding(
            Cause.CREDENTIALS_REJECTED, f"{checked.request.request_line} refused SMOKE_TOKEN "
            f"({checked.status}): the token is expired, for another environment, or signed "
            "with another secret", checked))
    return None


def token_problem(evidence: Evidence) -> str:
    """Why the run has no token, as the not-tested reason of the checks that needed one."""
    answer = evidence.answers.get(LOGIN)
    if answer is not None and answer.status == 429:
        return f"the login was rate-limited: 429, Retry-After {answer.retry_after}"
    return evidence.token_problem


def never_healthy(ctx: Context, last: HttpAnswer, waited_s: float) -> Abort:
    """--wait-until-healthy ran out: the last answer says why."""
    return Abort(Verdict.ERROR, leak(ctx, last, "a healthy answer") or ctx.finding(
        Cause.HEALTH_DOWN, f"{ctx.config.url} did not become healthy within {waited_s:g} s",
        last))


def nothing_answered(ctx: Context, evidence: Evidence) -> Abort | None:
    """A target that accepted connections but answered nothing at all is unreachable."""
    answers = list(evidence.answers.values())
    if not answers or any(answer.status is not None for answer in answers):
        return None
    first = answers[0]
    return Abort(Verdict.ERROR, ctx.finding(
        Cause.TARGET_UNREACHABLE, f"{ctx.config.url} accepted connections but sent no HTTP "
        f"answer to any of {len(answers)} requests ({first.error}: {first.error_detail})",
        first))


def start_failure(ctx: Context, failure: StartFailure) -> Abort:
    """A stack the run had to start did not: the service, its exit code, its last lines."""
    if failure.kind == "ngrok":
        return Abort(Verdict.ERROR, ctx.finding(Cause.NGROK_TUNNEL_OFFLINE, failure.message))
    if failure.service is None:
        return Abort(Verdict.ERROR, ctx.finding(
            Cause.TARGET_UNREACHABLE, f"containers did not start: {failure.message}"))
    code = f" (exit code {failure.exit_code})" if failure.exit_code is not None else ""
    tail = "".join(f"\n    {ctx.clean(line)}" for line in failure.log_tail[-LOG_TAIL_LINES:])
    return Abort(Verdict.ERROR, Finding(
        Cause.SERVICE_START_FAILED, ctx.clean(f"service {failure.service!r} did not start"
                                              f"{code}: {failure.message}"),
        evidence=f"its last log lines:{tail}"))

"""Root causes: failures grouped by cause, in causal order, each with one sentence that
correlates the evidence (a port mismatch, a dependency failing behind the auth check)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from harness.contract.paths import url_port
from harness.judge.causes import SEVERITIES, Cause
from harness.judge.context import Context
from harness.judge.normalise import aggregate, error_text, reported_services
from harness.judge.outcomes import BLOCKED, FAILED, Outcome
from harness.records.evidence import Evidence
from harness.records.keys import AGGREGATE, DOCUMENT


@dataclass
class RootCause:
    cause: Cause
    summary: str
    evidence: str
    checks: list[str] = field(default_factory=list)
    blocked: int = 0
    explains: int = 0

    def document(self) -> dict[str, object]:
        return {"cause": self.cause.code, "severity": self.cause.severity,
                "rank": self.cause.rank, "summary": self.summary,
                "evidence": self.evidence, "next_step": self.cause.next_step,
                "checks": self.checks, "blocked": self.blocked, "explains": self.explains}


def order(roots: list[RootCause]) -> list[RootCause]:
    """The one order of root causes everywhere: outages that explain other failing or blocked
    checks first, by how many they explain; then by severity (security first); then by rank
    and count."""
    def key(root: RootCause) -> tuple[int, int, int, int, int]:
        explainer = root.cause.is_outage and root.explains > 0
        return (0 if explainer else 1, -root.explains if explainer else 0,
                SEVERITIES.index(root.cause.severity), root.cause.rank, -len(root.checks))
    return sorted(roots, key=key)


def rank_root_causes(outcomes: list[Outcome], ctx: Context,
                     evidence: Evidence) -> list[RootCause]:
    """Failed checks grouped by cause, in the order of `order`."""
    groups: dict[Cause, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        if outcome.outcome == FAILED and outcome.cause is not None:
            groups[outcome.cause].append(outcome)
    blocked_by: dict[str, int] = defaultdict(int)
    for outcome in outcomes:
        if outcome.outcome == BLOCKED and outcome.blocked_by:
            blocked_by[outcome.blocked_by] += 1
    roots = []
    for cause, members in groups.items():
        first = members[0].finding
        assert first is not None, "a failed outcome always has its finding"
        keys = [member.check.key for member in members]
        blocked = sum(blocked_by[key] for key in keys)
        roots.append(RootCause(cause, summarise(cause, members, outcomes, ctx, evidence),
                               first.evidence, keys, blocked,
                               blocked + _sharing_routes(members, groups, evidence)))
    return order(roots)


def _routes(members: list[Outcome], evidence: Evidence) -> set[str]:
    """The routes (method and path as sent) of these checks' answers."""
    found = set()
    for member in members:
        for probe in member.check.probes:
            answer = evidence.answers.get(probe)
            if answer is not None:
                found.add(f"{answer.request.method} {answer.sent_path or answer.request.path}")
    return found


def _sharing_routes(members: list[Outcome], groups: dict[Cause, list[Outcome]],
                    evidence: Evidence) -> int:
    """Failing checks of other causes whose routes are among these checks' routes, or whose
    cause this one explains (`Cause.explains_causes`)."""
    mine = _routes(members, evidence)
    cause = members[0].cause
    explained = cause.explains_causes if cause is not None else frozenset()
    return sum(1 for other_cause, others in groups.items() if others is not members
               for other in others
               if other_cause in explained or _routes([other], evidence) & mine)


def summarise(cause: Cause, members: list[Outcome], outcomes: list[Outcome], ctx: Context,
              evidence: Evidence) -> str:
    """One sentence for a root cause: a correlation when the evidence allows one."""
    behind_auth = _behind_auth(cause, members, outcomes, ctx, evidence)
    if behind_auth:
        return behind_auth
    if cause is Cause.UPSTREAM_UNREACHABLE:
        sentence = _port_mismatch(ctx, evidence)
        if sentence:
            return sentence
    first = members[0].finding
    assert first is not None
    family = members[0].check.kind
    alike = sum(1 for member in members[1:] if member.check.kind == family)
    more = f" ({alike} more check{'s' if alike > 1 else ''} show{'' if alike > 1 else 's'} " \
           "the same)" if alike else ""
    others = {m.check.kind: m for m in members if m.check.kind != family}
    also = "".join(f"; also {m.finding.message}" for m in list(others.values())[:2]
                   if m.finding is not None)
    return f"{first.message}{more}{also}"


def _port_mismatch(ctx: Context, evidence: Evidence) -> str:
    health = evidence.answers.get(DOCUMENT)
    reported = reported_services(health.json()) if health is not None else None
    if not reported or not reported[0]:
        return ""
    urls = reported[0]
    expected = ctx.config.expected_services
    for name, url in urls.items():
        want = expected.get(name) if isinstance(expected, dict) else None
        if want and url_port(want) != url_port(url):
            return ctx.clean(f"the gateway proxies {name} to {url} but nothing answers there; "
                             f"the service may be on another port (health says "
                             f":{url_port(url)}; expected :{url_port(want)})")
    name, url = next(iter(urls.items()))
    host = urlsplit(url).hostname
    return ctx.clean(f"the gateway proxies {name} to {url} but nothing answers there; is "
                     f"{name} running on {host}:{url_port(url)}?")


AUTHORIZED = ("list", "create", "post")


def _behind_auth(cause: Cause, members: list[Outcome], outcomes: list[Outcome], ctx: Context,
                 evidence: Evidence) -> str:
    """Routes that fail only once authenticated while their 401s are fine and fast."""
    if cause not in (Cause.GENERIC_503_LEAK, Cause.NO_RESPONSE, Cause.STACK_TRACE_LEAK,
                     Cause.UPSTREAM_UNREACHABLE):
        return ""
    authorized = [m for m in members if m.check.kind in AUTHORIZED]
    ran = [o for o in outcomes if o.check.kind in AUTHORIZED and o.outcome in (FAILED, "passed")]
    auth_checks = [o for o in outcomes if o.check.kind == "auth"]
    if len(authorized) < 2 or len(authorized) != len(ran) or not auth_checks or \
            any(o.outcome == FAILED for o in auth_checks):
        return ""
    answer = evidence.answers.get(authorized[0].check.probes[0])
    if answer is None:
        return ""
    said = error_text(answer.json()) or answer.excerpt(120)
    agg = evidence.answers.get(AGGREGATE)
    states = aggregate(agg.json()) if agg is not None else None
    down = [f"{s.name} ({s.error})" for s in (states or {}).values() if not s.ok]
    dependency = f"; aggregate health reports {', '.join(down)} down" if down else ""
    took = f" after {answer.elapsed_s:.1f} s" if answer.elapsed_s >= 1 else ""
    return ctx.clean(f"the service fails behind its auth check: unauthenticated requests get "
                     f"their 401 at once, authenticated ones answer "
                     f"{answer.status or answer.error}{took} ({said!r}): a database or another "
                     f"dependency is likely down{dependency}")

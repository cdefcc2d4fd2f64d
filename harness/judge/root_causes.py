"""Root causes: failures grouped by cause, in causal order, each with one sentence that
correlates the evidence (a port mismatch, a dependency failing behind the auth check)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from harness.contract.paths import url_port
from harness.judge.causes import SEVERITIES, Cause
from harness.judge.context import Context
from harness.judge.normalise import (
    aggregate,
    dependency_in,
    dependency_in_health,
    error_text,
    reported_services,
)
from harness.judge.outcomes import BLOCKED, FAILED, PASSED, Outcome
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
    dependency: str | None = None

    def document(self) -> dict[str, object]:
        return {"cause": self.cause.code, "severity": self.cause.severity,
                "rank": self.cause.rank, "summary": self.summary,
                "evidence": self.evidence, "next_step": self.cause.next_step,
                "checks": self.checks, "blocked": self.blocked, "explains": self.explains,
                **({"dependency": self.dependency} if self.dependency else {})}


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
    caught = _caught_by_a_proxy(groups, outcomes, evidence)
    roots = []
    for cause, members in groups.items():
        first = members[0].finding
        assert first is not None, "a failed outcome always has its finding"
        keys = [member.check.key for member in members]
        blocked = sum(blocked_by[key] for key in keys)
        if cause is Cause.ROUTE_NOT_FOUND and caught:
            cause = Cause.SOCKETIO_PROXY_INTERCEPTS_REST
            summary = ctx.clean(f"the gateway's own routes ({', '.join(caught)}) answer 404 like "
                                "unknown routes while the Socket.IO handshake works: a proxy "
                                "with its target (the Socket.IO proxy?) is mounted on every "
                                "path ahead of the gateway's routes and sends every request to "
                                "the service behind it; scope it to /socket.io")
            roots.append(RootCause(cause, summary, first.evidence, keys, blocked,
                                   blocked + _sharing_routes(members, groups, evidence)))
            continue
        roots.append(RootCause(cause, summarise(cause, members, outcomes, ctx, evidence),
                               first.evidence, keys, blocked,
                               blocked + _sharing_routes(members, groups, evidence),
                               first.dependency))
    for root in roots:  # what a cause explains, it explains with all that blocks behind it
        root.explains += sum(other.blocked for other in roots
                             if other.cause in root.cause.explains_causes)
    reported = _reported_dependency(ctx, evidence, roots, groups)
    return order([reported, *roots] if reported else roots)


SYMPTOMS = Cause.DEPENDENCY_DOWN.explains_causes
GATEWAY_OWN = ("login", "health-document", "aggregate")
SOCKET_OPEN = ("handshake", "upgrade", "websocket-only")


def _caught_by_a_proxy(groups: dict[Cause, list[Outcome]], outcomes: list[Outcome],
                       evidence: Evidence) -> list[str]:
    """The gateway's own routes (its login and its health) answering 404 while the Socket.IO
    handshake works: every path is proxied to the service behind it. Those routes, else []."""
    missing = groups.get(Cause.ROUTE_NOT_FOUND, [])
    kinds = {m.check.kind for m in missing}
    socket_ok = any(o.check.kind in SOCKET_OPEN and o.outcome == PASSED for o in outcomes)
    if not socket_ok or "login" not in kinds or not kinds & {"health-document", "aggregate"}:
        return []
    return sorted(_routes([m for m in missing if m.check.kind in GATEWAY_OWN], evidence))


def _reported_dependency(ctx: Context, evidence: Evidence, roots: list[RootCause],
                         groups: dict[Cause, list[Outcome]]) -> RootCause | None:
    """A dependency the health documents report down, as the root cause of the symptoms
    (5xx, timeouts, refused valid tokens) that name nothing themselves."""
    if any(root.cause is Cause.DEPENDENCY_DOWN for root in roots):
        return None
    symptoms = [o for cause, members in groups.items() if cause in SYMPTOMS for o in members]
    if not symptoms:
        return None
    for answer in evidence.answers.values():
        if answer.request.suite != "health":
            continue
        down = dependency_in_health(answer.json())
        if down is not None:
            line = f"{answer.request.method} {answer.sent_path or answer.request.path}"
            said = ctx.clean(f"{line} reports {down.said}")
            routes = sorted({f"{o.check.id}" for o in symptoms})
            shown = ", ".join(routes[:3]) + (f" and {len(routes) - 3} more"
                                              if len(routes) > 3 else "")
            summary = ctx.clean(f"the service's {down.name} is down: {line} reports "
                                f"{down.said}, and {shown} fail with it; look at the "
                                "service's database, cache or broker connection, not at its "
                                "port")
            blocked = sum(root.blocked for root in roots if root.cause in SYMPTOMS)
            return RootCause(Cause.DEPENDENCY_DOWN, summary, said,
                             [o.check.key for o in symptoms], blocked,
                             len(symptoms) + blocked, down.name)
    return None


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
    if cause is Cause.DEPENDENCY_DOWN:
        return _dependency_sentence(members, ctx, evidence)
    behind_auth = _behind_auth(cause, members, outcomes, ctx, evidence)
    if behind_auth:
        return behind_auth
    if cause is Cause.UPSTREAM_UNREACHABLE:
        sentence = _port_mismatch(ctx, evidence, members)
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


def _dependency_sentence(members: list[Outcome], ctx: Context, evidence: Evidence) -> str:
    """Which dependency, which routes and what they said, and that the gateway's 401s prove
    nothing about the service (they come before it is asked)."""
    first = members[0].finding
    assert first is not None
    answers = [evidence.answers.get(m.check.probes[0]) for m in members if m.check.probes]
    routes = sorted({f"{a.request.method} {a.sent_path or a.request.path}" for a in answers
                     if a is not None and a.status is not None})
    said = dependency_in(" ".join(a.text[:4096] for a in answers if a is not None))
    statuses = sorted({str(a.status) for a in answers if a is not None and a.status})
    shown = ", ".join(routes[:3]) + (f" and {len(routes) - 3} more" if len(routes) > 3 else "")
    quote = f" ({said.said!r})" if said else ""
    name = first.dependency or "dependency"
    if not routes:  # from a log: the service may have died of it
        return ctx.clean(f"the service's {name} is down: {first.message}; bring {name} back, "
                         "then restart the service if it died with it")
    where = f"{shown} answer{'s' if len(routes) == 1 else ''} {'/'.join(statuses)}{quote}"
    return ctx.clean(f"the service's {name} is down: {where}; the service itself answers, so "
                     "look at its database, cache or broker connection, not at its port")


def _port_mismatch(ctx: Context, evidence: Evidence, members: list[Outcome]) -> str:
    """Where the gateway proxies the service that is unreachable, from the health's service
    map: the services the failed aggregate checks name (another service in the map may be
    fine), else the map's only service; "" when the map does not say."""
    health = evidence.answers.get(DOCUMENT)
    reported = reported_services(health.json()) if health is not None else None
    if not reported or not reported[0]:
        return ""
    failing = {m.check.id for m in members if m.check.kind == "aggregate"} - {"every-service"}
    urls = {name: url for name, url in reported[0].items() if not failing or name in failing}
    if not urls or (not failing and len(urls) > 1):
        return ""
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
    took = f" after {answer.elapsed_s:.1f} s" if answer.elapsed_s >= 1 else ""
    quoted = f" ({said!r})" if said else ""
    return ctx.clean(f"authenticated requests answer {answer.status or answer.error}{took}"
                     f"{quoted} while unauthenticated ones are refused at once (by the gateway "
                     "or the auth check, which proves nothing about the service): a database or "
                     "another dependency of the service is likely down"
                     f"{_down_services(ctx, evidence)}")


def _down_services(ctx: Context, evidence: Evidence) -> str:
    """What the aggregate reports down: the contract's required services first, the others
    only as "also down, not required"."""
    agg = evidence.answers.get(AGGREGATE)
    states = aggregate(agg.json()) if agg is not None else None
    down = [state for state in (states or {}).values() if not state.ok]
    if not down:
        return ""
    health = ctx.contract.health
    required = set(health.required_services) if health and health.required_services else None
    needed = [s for s in down if required is None or s.name in required]
    others = [s.name for s in down if s not in needed]
    said = ", ".join(f"{s.name} ({s.error})" for s in needed)
    also = f"; also down, not required: {', '.join(others)}" if others else ""
    return f"; aggregate health reports {said or 'no required service'} down{also}"

"""Health rules: the gateway's document, each service in aggregate health, aliases, config
drift, latency measured alone, and ngrok tunnels."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from harness.judge.causes import Cause
from harness.judge.context import Context
from harness.judge.findings import Finding
from harness.judge.judge import NOT_SENT, Judge
from harness.judge.kinds import Blocked, Result, rule
from harness.judge.normalise import (
    aggregate,
    error_text,
    is_ok,
    rate_limit_error,
    reported_services,
    same_url,
    status_word,
)
from harness.judge.rules.leaks import has_stack_trace, leak, ngrok_code, unexpected
from harness.records.evidence import Tunnel
from harness.records.http import HttpAnswer
from harness.records.plan import Check, check_key


def document(ctx: Context, answer: HttpAnswer) -> Finding | None:
    """The health route: 200 JSON whose status is one of the contract's accepted words."""
    path = answer.sent_path or answer.request.path
    health = ctx.contract.health
    accepted = [s.lower() for s in (health.status_values if health else ["ok"])]
    if answer.status != 200 or answer.error:
        found = leak(ctx, answer, "200 with the health document")
        if found is not None and found.cause is not Cause.GENERIC_503_LEAK:
            return found
        return ctx.finding(Cause.HEALTH_DOWN, f"{path} answered {answer.status or answer.error}, "
                           "not 200", answer)
    body = answer.json()
    if not isinstance(body, dict):
        return leak(ctx, answer, "200 with the health document") or ctx.finding(
            Cause.HEALTH_DOWN, f"{path} did not answer a JSON object", answer)
    word = status_word(body)
    if word not in accepted and not is_ok(body, accepted):
        return ctx.finding(Cause.HEALTH_DOWN, f"{path} reports status {word!r}, expected one "
                           f"of {accepted}", answer)
    return None


def aggregate_service(ctx: Context, answer: HttpAnswer, name: str) -> Finding | None:
    """Aggregate health lists `name` (or, for "*", every service) as ok; a service that is
    not ok is named with its own error; a service that was rate-limited is `rate-limited`.
    A 5xx explained by other services the document lists as down (not required ones, down on
    purpose) does not fail `name`."""
    path = answer.sent_path or answer.request.path
    accepted = ctx.contract.health.status_values if ctx.contract.health else []
    states = aggregate(answer.json(), accepted) if not answer.error else None
    if states is None:
        if answer.status == 200 and not ngrok_code(answer) and not answer.truncated:
            return ctx.finding(Cause.HEALTH_DOWN, f"{path} answered 200 without a list or map "
                               "of services", answer)
        return unexpected(ctx, answer, "200 with the aggregate health document")
    names = sorted(states) if name == "*" else [name]
    for service in names:
        state = states.get(service)
        if state is None:
            return ctx.finding(Cause.AGGREGATE_UNHEALTHY, f"{path} does not list {service!r} "
                               f"(it lists {sorted(states) or 'nothing'})", answer)
        if state.ok:
            continue
        if rate_limit_error(state.error):
            return ctx.finding(Cause.RATE_LIMITED, f"{path} reports {service} rate-limited "
                               f"({state.error!r}): its health could not be judged", answer)
        if any(sig in state.error.lower() for sig in ctx.proxy_error):
            return ctx.finding(Cause.UPSTREAM_UNREACHABLE, f"{path}: the gateway cannot reach "
                               f"{service}: {state.error!r}", answer)
        return ctx.finding(Cause.AGGREGATE_UNHEALTHY, f"{path} reports {service} not ok: "
                           f"{state.error!r}", answer)
    if answer.status == 200:
        return None
    others_down = [other for other, state in states.items() if not state.ok]
    if not others_down or (answer.status or 0) < 500:
        return unexpected(ctx, answer, "200 with every service ok")
    if has_stack_trace(ctx, answer):  # a 5xx that services not checked here explain is fine
        return ctx.finding(Cause.STACK_TRACE_LEAK, f"{path} carries a stack trace or internal "
                           "paths", answer)
    return None


def service_health(ctx: Context, answer: HttpAnswer, name: str) -> Finding | None:
    """A service's own health through the gateway (an alias): 200 with an ok status."""
    body = answer.json()
    accepted = ctx.contract.health.status_values if ctx.contract.health else []
    path = answer.sent_path or answer.request.path
    if answer.status == 200 and isinstance(body, dict) and not answer.error:
        if is_ok(body, accepted):
            return None
        return ctx.finding(Cause.AGGREGATE_UNHEALTHY, f"{path} ({name}) reports not ok: "
                           f"{error_text(body)!r}", answer)
    found = unexpected(ctx, answer, f"200 with {name}'s own health")
    if found.cause is Cause.GENERIC_503_LEAK and isinstance(body, dict) and \
            ("status" in body or "ok" in body):
        return ctx.finding(Cause.AGGREGATE_UNHEALTHY, f"{path} ({name}'s own health) answered "
                           f"{answer.status}: {error_text(body)!r}", answer)
    return found


def latency(ctx: Context, answer: HttpAnswer, budget_ms: int) -> Finding | None:
    """Over budget only as measured alone (the quiet re-measurement), never under our load."""
    if answer.quiet_elapsed_s is None or answer.latency_ms <= budget_ms:
        return None
    return ctx.finding(Cause.SLOW_RESPONSE, f"{answer.request.method} "
                       f"{answer.sent_path or answer.request.path} answered in "
                       f"{answer.latency_ms} ms measured alone, over its budget of "
                       f"{budget_ms} ms", answer)


def service_map(ctx: Context, answer: HttpAnswer,
                expected: Mapping[str, str] | Sequence[str]) -> Finding | None:
    """The services /api/health reports match the expected map (URLs) or names."""
    path = answer.sent_path or answer.request.path
    reported = reported_services(answer.json())
    if reported is None:
        return ctx.finding(Cause.STALE_CONFIG, f"{path} reports no services; expected "
                           f"{_shown(expected)}", answer)
    urls, names = reported
    if isinstance(expected, Mapping) and not urls and names:
        expected = list(expected)  # the gateway reports names only: compare the names
    if not isinstance(expected, Mapping):
        missing = [name for name in expected if name not in names]
        if not missing:
            return None
        return ctx.finding(Cause.STALE_CONFIG, f"{path} does not report {missing} (it reports "
                           f"{names}): the gateway runs with an old config", answer)
    drift = [f"{name}: expected {url}, reported {urls.get(name, 'nothing')}"
             for name, url in sorted(expected.items())
             if name not in urls or not same_url(url, urls[name])]
    if not drift:
        return None
    return ctx.finding(Cause.STALE_CONFIG, f"{path} reports a different service map "
                       f"({'; '.join(drift)}): the gateway runs with an old config; restart it "
                       "or fix its environment", answer)


def _shown(expected: Mapping[str, str] | Sequence[str]) -> str:
    return str(dict(expected)) if isinstance(expected, Mapping) else str(list(expected))


def tunnel_upstream(ctx: Context, tunnel: Tunnel, listening: bool,
                    expected_port: int | None) -> Finding | None:
    """A tunnel must forward to a local port that listens and that the contract expects."""
    upstream = tunnel.upstream
    where = f"the ngrok tunnel {tunnel.public_url} forwards to {tunnel.addr!r}"
    if upstream is None:
        return ctx.finding(Cause.NGROK_UPSTREAM_REFUSED, f"{where}, which names no port: "
                           "restart ngrok as `ngrok http <service port>`")
    host, port = upstream
    if expected_port is not None and port != expected_port:
        state = "listening" if listening else "where nothing listens"
        return ctx.finding(Cause.NGROK_UPSTREAM_REFUSED, f"{where} (port {port}, {state}) but "
                           f"the service is expected on port {expected_port}: restart ngrok as "
                           f"`ngrok http {expected_port}`")
    if not listening:
        return ctx.finding(Cause.NGROK_UPSTREAM_REFUSED, f"{where} but nothing listens on "
                           f"{host}:{port}: start the service on port {port}, or restart ngrok "
                           "with the port the service logs ('running on port N')")
    return None


@rule("health-document", shown_by="suites/health/test_health.py::test_health_document")
def document_check(judge: Judge, check: Check) -> Result:
    def rule_(ctx: Context, answer: HttpAnswer, budget: int) -> Finding | None:
        return document(ctx, answer) or latency(ctx, answer, budget)
    return judge.answered(check, rule_, check.params["budget_ms"])


@rule("aggregate", shown_by="suites/health/test_health.py::test_aggregate_service")
def aggregate_check(judge: Judge, check: Check) -> Result:
    def rule_(ctx: Context, answer: HttpAnswer, name: str, budget: int) -> Finding | None:
        return aggregate_service(ctx, answer, name) or latency(ctx, answer, budget)
    return judge.answered(check, rule_, check.params["service"], check.params["budget_ms"])


@rule("alias", shown_by="suites/health/test_health.py::test_service_health_alias")
def alias_check(judge: Judge, check: Check) -> Result:
    def rule_(ctx: Context, answer: HttpAnswer, name: str, budget: int) -> Finding | None:
        return service_health(ctx, answer, name) or latency(ctx, answer, budget)
    return judge.answered(check, rule_, check.params["service"], check.params["budget_ms"])


@rule("service-map", shown_by="suites/health/test_health.py::test_service_map")
def service_map_check(judge: Judge, check: Check) -> Result:
    """Judged on a 200 health document only: any other answer (a proxy's 503, an HTML page)
    reports no map at all, and the health-document check it blocks on says what it was."""
    answer = judge.answer(check)
    if isinstance(answer, HttpAnswer) and (answer.status != 200 or answer.error or
                                           not isinstance(answer.json(), dict)):
        return Blocked(check_key("health-document", "gateway"))
    return judge.answered(check, service_map, judge.ctx.config.expected_services)


@rule("tunnel", shown_by="suites/health/test_ngrok.py::test_tunnel_upstream")
def tunnel_check(judge: Judge, check: Check) -> Result:
    api = judge.ctx.config.ngrok_api or ""
    tunnels = judge.evidence.tunnels
    if tunnels is None:
        return NOT_SENT
    if isinstance(tunnels, str):
        return judge.ctx.finding(Cause.NGROK_TUNNEL_OFFLINE, tunnels)
    if not tunnels:
        return judge.ctx.finding(Cause.NGROK_TUNNEL_OFFLINE, f"the ngrok agent at {api} has no "
                                 "tunnel: start one with `ngrok http <port>`")
    expected = judge.ctx.contract.ngrok.expected_upstream_port
    for state in tunnels:
        found = tunnel_upstream(judge.ctx, state.tunnel, state.listening, expected)
        if found is not None:
            return found
    return None

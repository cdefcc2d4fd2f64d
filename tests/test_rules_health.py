"""Health rules over recorded evidence, with the real-gateway variants that must pass:
status "healthy", services as names, aggregates as lists or keyed objects, 200 aggregates
listing a service that is down on purpose, a 429 behind the aggregate."""

from __future__ import annotations

import pytest

from fixtures import evidence
from harness.config import resolve
from harness.judge.causes import Cause
from harness.judge.context import Context
from harness.judge.rules import health
from harness.probes.ngrok_agent import Tunnel
from harness.sanitize.redact import Redactor


@pytest.fixture(scope="module")
def ctx() -> Context:
    return Context(resolve({"target_url": "http://gw.test"}, env={}), Redactor())


def cause_of(found) -> Cause | None:  # noqa: ANN001
    return found.cause if found else None


DOCUMENT = [
    ("reference-health", None),
    ("express5-health-ok-urls", None),
    ("express5-health-healthy-names", None),     # "healthy" and service names
    ("reference-health-variant", None),
    ("express5-health-stale-map", None),         # drift is the service-map check's finding
    ("express5-aggregate-contract-ok", None),    # {"ok": true}
    ("express5-aggregate-keyed-down", Cause.HEALTH_DOWN),   # "status": "degraded"
    ("express5-aggregate-list", Cause.HEALTH_DOWN),         # not an object
    ("express5-500-db-down", Cause.DEPENDENCY_DOWN),
    ("express5-503-messaging-unavailable", Cause.HEALTH_DOWN),
    ("reference-messaging-health-503", Cause.HEALTH_DOWN),
    ("express5-aggregate-contract-down", Cause.UPSTREAM_UNREACHABLE),   # ECONNREFUSED in it
    ("hpm3-504-econnrefused", Cause.UPSTREAM_UNREACHABLE),
    ("express5-404-html", Cause.ROUTE_NOT_FOUND),
    ("express5-redirect-301", Cause.REDIRECT),
    ("express-rate-limit-429-draft6", Cause.RATE_LIMITED),
    ("express5-throw-html-stack", Cause.STACK_TRACE_LEAK),
    ("reference-proxy-everywhere-503", Cause.SOCKETIO_PROXY_INTERCEPTS_REST),
    ("ngrok-3200-endpoint-offline", Cause.NGROK_TUNNEL_OFFLINE),
    ("ngrok-8012-on-health", Cause.NGROK_UPSTREAM_REFUSED),
    ("ngrok-6024-on-aggregate", Cause.NGROK_BROWSER_WARNING),
    ("node-socketio-handshake", Cause.HEALTH_DOWN),    # 200, not JSON
]


@pytest.mark.parametrize(("name", "cause"), DOCUMENT, ids=[row[0] for row in DOCUMENT])
def test_document(ctx: Context, name: str, cause: Cause | None) -> None:
    found = health.document(ctx, evidence.answer(name))
    assert cause_of(found) is cause, found and found.render()


AGGREGATE = [
    # fixture, service ("*": every service listed) -> cause
    ("reference-aggregate-ok", "messaging", None),
    ("express5-aggregate-contract-ok", "messaging", None),
    ("express5-aggregate-list", "messaging", None),          # a list
    ("express5-aggregate-list", "*", None),
    ("reference-aggregate-variant", "messaging", None),      # keyed, status healthy
    ("express5-aggregate-keyed-down", "messaging", None),    # 200, auth down on purpose
    ("express5-aggregate-keyed-down", "auth", Cause.UPSTREAM_UNREACHABLE),
    ("express5-aggregate-keyed-down", "*", Cause.UPSTREAM_UNREACHABLE),
    ("express5-aggregate-mongo-down", "messaging", None),
    ("express4-aggregate-503-other-down", "messaging", None),   # 503 for auth, down on purpose
    ("express4-aggregate-503-other-down", "auth", Cause.UPSTREAM_UNREACHABLE),
    ("express4-aggregate-503-other-down", "*", Cause.UPSTREAM_UNREACHABLE),
    ("express5-aggregate-mongo-down", "mongodb", Cause.UPSTREAM_UNREACHABLE),
    ("reference-aggregate-db-down", "messaging", None),
    ("reference-aggregate-db-down", "*", Cause.UPSTREAM_UNREACHABLE),
    ("express5-health-healthy-names", "messaging", None),    # names, the document healthy
    ("reference-health-variant", "messaging", None),
    ("express5-aggregate-429", "messaging", Cause.RATE_LIMITED),    # never a failed contract
    ("reference-aggregate-429", "messaging", Cause.RATE_LIMITED),
    ("reference-aggregate-429", "*", Cause.RATE_LIMITED),
    ("express5-aggregate-contract-down", "messaging", Cause.UPSTREAM_UNREACHABLE),
    ("reference-port-mismatch-aggregate", "messaging", Cause.UPSTREAM_UNREACHABLE),
    ("express5-aggregate-list", "notifications", Cause.AGGREGATE_UNHEALTHY),   # not listed
    ("reference-health", "messaging", None),                  # a URL map: listed, up
    ("express5-login-nested-token", "messaging", Cause.HEALTH_DOWN),  # 200, no services
    ("express5-404-html", "messaging", Cause.ROUTE_NOT_FOUND),
    ("express-rate-limit-429-draft7", "messaging", Cause.RATE_LIMITED),
    ("hpm3-504-econnrefused", "messaging", Cause.UPSTREAM_UNREACHABLE),
    ("ngrok-6024-on-aggregate", "messaging", Cause.NGROK_BROWSER_WARNING),
    ("express5-503-messaging-unavailable", "messaging", Cause.GENERIC_503_LEAK),
]


@pytest.mark.parametrize(("name", "service", "cause"), AGGREGATE,
                         ids=[f"{row[0]}-{row[1]}" for row in AGGREGATE])
def test_aggregate_service(ctx: Context, name: str, service: str, cause: Cause | None) -> None:
    found = health.aggregate_service(ctx, evidence.answer(name), service)
    assert cause_of(found) is cause, found and found.render()


def test_an_unhealthy_service_is_named_with_its_own_error(ctx: Context) -> None:
    found = health.aggregate_service(ctx, evidence.answer("express5-aggregate-keyed-down"), "*")
    assert "auth" in found.message and "connect ECONNREFUSED 127.0.0.1:3001" in found.message


def test_a_service_down_without_a_proxy_error_is_aggregate_unhealthy(ctx: Context) -> None:
    answer = evidence.answer("express5-aggregate-keyed-down")
    answer.body = answer.body.replace(b"connect ECONNREFUSED 127.0.0.1:3001",
                                      b"Redis connection lost")
    found = health.aggregate_service(ctx, answer, "auth")
    assert cause_of(found) is Cause.AGGREGATE_UNHEALTHY
    assert "Redis connection lost" in found.message


def test_names_of_an_unhealthy_document_are_not_ok(ctx: Context) -> None:
    answer = evidence.answer("express5-health-healthy-names")
    answer.body = answer.body.replace(b'"status":"healthy"', b'"status":"unhealthy"')
    found = health.aggregate_service(ctx, answer, "messaging")
    assert cause_of(found) is Cause.AGGREGATE_UNHEALTHY and "unhealthy" in found.message


ALIAS = [
    ("reference-health", None),
    ("express5-health-healthy-names", None),
    ("express5-service-health-503", Cause.AGGREGATE_UNHEALTHY),
    ("reference-messaging-health-503", Cause.AGGREGATE_UNHEALTHY),
    ("reference-port-mismatch-alias", Cause.UPSTREAM_UNREACHABLE),
    ("hpm3-504-econnrefused", Cause.UPSTREAM_UNREACHABLE),
    ("hpm3-502-invalid-upstream", Cause.UPSTREAM_UNREACHABLE),
    ("express5-aggregate-keyed-down", Cause.AGGREGATE_UNHEALTHY),   # 200, "degraded"
    ("express5-503-messaging-unavailable", Cause.GENERIC_503_LEAK),
    ("express5-404-html", Cause.ROUTE_NOT_FOUND),
    ("express-rate-limit-429-draft6", Cause.RATE_LIMITED),
    ("ngrok-8012-on-health", Cause.NGROK_UPSTREAM_REFUSED),
    ("node-socketio-handshake", Cause.CONTRACT_MISMATCH),
]


@pytest.mark.parametrize(("name", "cause"), ALIAS, ids=[row[0] for row in ALIAS])
def test_service_health(ctx: Context, name: str, cause: Cause | None) -> None:
    found = health.service_health(ctx, evidence.answer(name), "messaging")
    assert cause_of(found) is cause, found and found.render()


MAP = [
    # fixture, expected services -> cause
    ("express5-health-ok-urls", {"messaging": "http://localhost:3005"}, None),
    ("express5-health-ok-urls", {"messaging": "http://127.0.0.1:3005/"}, None),   # loopback
    ("express5-health-ok-urls", ["messaging"], None),
    ("express5-health-stale-map", {"messaging": "http://localhost:3005"}, Cause.STALE_CONFIG),
    ("reference-stale-map", {"messaging": "http://localhost:3005"}, Cause.STALE_CONFIG),
    ("express5-health-healthy-names", ["messaging", "auth"], None),       # names
    ("express5-health-healthy-names", {"messaging": "http://localhost:3005"}, None),
    ("reference-health-variant", ["messaging"], None),
    ("express5-health-healthy-names", ["notifications"], Cause.STALE_CONFIG),
    ("express5-login-nested-token", ["messaging"], Cause.STALE_CONFIG),   # reports nothing
]


@pytest.mark.parametrize(("name", "expected", "cause"), MAP,
                         ids=[f"{row[0]}-{i}" for i, row in enumerate(MAP)])
def test_service_map(ctx: Context, name: str, expected, cause: Cause | None) -> None:  # noqa: ANN001
    found = health.service_map(ctx, evidence.answer(name), expected)
    assert cause_of(found) is cause, found and found.render()


def test_stale_map_says_both_urls(ctx: Context) -> None:
    found = health.service_map(ctx, evidence.answer("express5-health-stale-map"),
                               {"messaging": "http://localhost:3005"})
    assert "http://localhost:3005" in found.message and "http://localhost:5005" in found.message


def test_latency_is_judged_only_as_measured_alone(ctx: Context) -> None:
    answer = evidence.answer("reference-health")
    answer.elapsed_s = 2.5                     # under the run's own load: not judged
    assert health.latency(ctx, answer, 1000) is None
    answer.quiet_elapsed_s = 1.6
    found = health.latency(ctx, answer, 1000)
    assert cause_of(found) is Cause.SLOW_RESPONSE and "1600 ms" in found.message
    answer.quiet_elapsed_s = 0.2
    assert health.latency(ctx, answer, 1000) is None


TUNNELS = [
    # config.addr, listening, expected port -> cause
    ("http://localhost:5005", True, 5005, None),
    ("http://localhost:5005", True, None, None),
    ("5005", True, 5005, None),
    ("http://localhost:5005", False, None, Cause.NGROK_UPSTREAM_REFUSED),
    ("http://localhost:3005", True, 5005, Cause.NGROK_UPSTREAM_REFUSED),   # port mismatch
    ("localhost:bad", False, None, Cause.NGROK_UPSTREAM_REFUSED),
]


@pytest.mark.parametrize(("addr", "listening", "port", "cause"), TUNNELS)
def test_tunnel_upstream(ctx: Context, addr: str, listening: bool, port: int | None,
                         cause: Cause | None) -> None:
    tunnel = Tunnel("api", "https://d1b2-203-0-113-7.ngrok-free.app", addr)
    found = health.tunnel_upstream(ctx, tunnel, listening, port)
    assert cause_of(found) is cause, found and found.render()


def test_a_5xx_aggregate_with_every_service_ok_is_still_a_finding(ctx: Context) -> None:
    answer = evidence.answer("express4-aggregate-503-other-down")
    answer.body = answer.body.replace(b'"ok":false,"status":null', b'"ok":true,"status":200')
    found = health.aggregate_service(ctx, answer, "messaging")
    assert found is not None and found.cause is not None, "nothing explains the 503"


def test_a_stack_trace_in_an_explained_5xx_aggregate_is_a_leak(ctx: Context) -> None:
    answer = evidence.answer("express4-aggregate-503-other-down")
    answer.body = answer.body.replace(
        b'"connect ECONNREFUSED 127.0.0.1:5999"',
        b'"Error: down\\n    at probe (/app/src/gateway/health.js:12:9)"')
    found = health.aggregate_service(ctx, answer, "messaging")
    assert cause_of(found) is Cause.STACK_TRACE_LEAK

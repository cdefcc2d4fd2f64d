"""leaks.leak / leaks.unexpected over recorded evidence: every known signature named, and the
invariants real gateways need (404 is never an auth problem, a generic 5xx only
for 5xx, a redirect is a redirect, a 429 is rate-limited), whichever rule reads the answer."""

from __future__ import annotations

import pytest

from fixtures import evidence
from harness.config import resolve
from harness.judge.causes import Cause
from harness.judge.context import Context
from harness.judge.rules import health, leaks, rest, socket
from harness.sanitize.redact import Redactor


@pytest.fixture(scope="module")
def ctx() -> Context:
    return Context(resolve({"target_url": "http://gw.test"}, env={}), Redactor())


LEAKS = [
    # fixture, the cause leak() names (None: the answer carries no failure signature)
    ("ngrok-3200-endpoint-offline", Cause.NGROK_TUNNEL_OFFLINE),
    ("ngrok-3200-on-socketio", Cause.NGROK_TUNNEL_OFFLINE),
    ("ngrok-8012-upstream-refused", Cause.NGROK_UPSTREAM_REFUSED),
    ("ngrok-8012-on-health", Cause.NGROK_UPSTREAM_REFUSED),
    ("ngrok-6024-browser-warning", Cause.NGROK_BROWSER_WARNING),
    ("ngrok-6024-on-aggregate", Cause.NGROK_BROWSER_WARNING),
    ("hpm3-504-econnrefused", Cause.UPSTREAM_UNREACHABLE),
    ("hpm3-502-invalid-upstream", Cause.UPSTREAM_UNREACHABLE),
    ("hpm3-504-socket-hang-up", Cause.UPSTREAM_UNREACHABLE),
    ("hpm3-504-socketio-dead-target", Cause.UPSTREAM_UNREACHABLE),
    ("reference-port-mismatch-alias", Cause.UPSTREAM_UNREACHABLE),
    ("reference-port-mismatch-aggregate", Cause.UPSTREAM_UNREACHABLE),
    ("express5-503-websocket-config", Cause.SOCKETIO_PROXY_INTERCEPTS_REST),
    ("reference-proxy-everywhere-503", Cause.SOCKETIO_PROXY_INTERCEPTS_REST),
    ("reference-conversations-precedence", Cause.SOCKETIO_PROXY_INTERCEPTS_REST),
    ("reference-proxy-target-missing", Cause.PROXY_TARGET_MISSING),
    ("express5-503-messaging-unavailable", Cause.GENERIC_503_LEAK),
    ("reference-notifications-503", Cause.GENERIC_503_LEAK),
    ("express5-500-db-down", Cause.DEPENDENCY_DOWN),
    ("express5-bad-json-html-stack", Cause.STACK_TRACE_LEAK),
    ("express4-bad-json-html-stack", Cause.STACK_TRACE_LEAK),
    ("express5-bad-json-json-stack", Cause.STACK_TRACE_LEAK),
    ("express5-throw-html-stack", Cause.STACK_TRACE_LEAK),
    ("reference-stack-in-json", Cause.STACK_TRACE_LEAK),
    ("reference-stack-trace-500", Cause.STACK_TRACE_LEAK),
    ("express5-404-html", Cause.ROUTE_NOT_FOUND),
    ("express4-404-html", Cause.ROUTE_NOT_FOUND),
    ("reference-mount-path-dropped", Cause.ROUTE_NOT_FOUND),
    ("express5-redirect-302", Cause.REDIRECT),
    ("express5-redirect-301", Cause.REDIRECT),
    ("express-rate-limit-429-draft6", Cause.RATE_LIMITED),
    ("express-rate-limit-429-draft7", Cause.RATE_LIMITED),
    ("reference-login-429", Cause.RATE_LIMITED),
    # the route's own answers, real-gateway variants included: no signature
    ("express5-401-nested", None),
    ("express5-401-plain", None),
    ("reference-401-nested", None),
    ("express5-403-nested", None),
    ("express5-400-needs-query", None),
    ("express5-bad-json-prod", None),
    ("express5-health-healthy-names", None),
    ("express5-aggregate-429", None),
    ("express5-aggregate-keyed-down", None),
    ("express5-created-nested", None),
    ("node-socketio-handshake", None),
    ("node-socketio-eio3", None),
    ("python-engineio-bad-origin", None),
]


@pytest.mark.parametrize(("name", "cause"), LEAKS, ids=[row[0] for row in LEAKS])
def test_leak_names_the_signature(ctx: Context, name: str, cause: Cause | None) -> None:
    found = leaks.leak(ctx, evidence.answer(name), "the route's own answer")
    assert (found.cause if found else None) is cause, found and found.render()


def test_the_ngrok_header_wins_over_the_status(ctx: Context) -> None:
    answer = evidence.answer("ngrok-8012-upstream-refused")
    assert answer.status == 502  # a 502 alone would be upstream-unreachable
    assert leaks.ngrok_code(answer) == "8012"
    assert "ERR_NGROK_8012" in leaks.leak(ctx, answer, "x").message


def test_the_browser_warning_is_found_by_its_body_marker(ctx: Context) -> None:
    answer = evidence.answer("ngrok-6024-browser-warning")
    assert "ngrok-error-code" not in answer.headers
    assert leaks.ngrok_code(answer) == "6024"


def test_rate_limit_finding_quotes_retry_after(ctx: Context) -> None:
    found = leaks.leak(ctx, evidence.answer("express-rate-limit-429-draft6"), "200")
    assert "Retry-After: " in found.message and "806" in found.message


def test_redirect_finding_says_where(ctx: Context) -> None:
    found = leaks.leak(ctx, evidence.answer("express5-redirect-301"), "200")
    assert "https://gw.example.com/api/health" in found.message


def test_unexpected_is_a_contract_mismatch_without_a_signature(ctx: Context) -> None:
    found = leaks.unexpected(ctx, evidence.answer("express5-created-no-id"), "200")
    assert found.cause is Cause.CONTRACT_MISMATCH


def _every_rule(ctx: Context, name: str) -> dict[str, Cause | None]:
    """What every HTTP rule says of one answer (each with its usual arguments)."""
    rules = {
        "auth_rejection": lambda a: rest.auth_rejection(ctx, a, [401]),
        "bad_body": lambda a: rest.bad_body(ctx, a, False, False),
        "bad_body_token": lambda a: rest.bad_body(ctx, a, True, True),
        "own_answer": lambda a: rest.own_answer(ctx, a, [200]),
        "created": lambda a: rest.created(ctx, a, [201], ["id", "_id"]),
        "login": lambda a: rest.login(ctx, a, False),
        "document": lambda a: health.document(ctx, a),
        "aggregate": lambda a: health.aggregate_service(ctx, a, "messaging"),
        "alias": lambda a: health.service_health(ctx, a, "messaging"),
        "handshake": lambda a: socket.handshake(ctx, a),
        "cors": lambda a: socket.cors(ctx, a, "http://localhost:3000"),
    }
    out = {}
    for rule, judge in rules.items():
        found = judge(evidence.answer(name))
        out[rule] = found.cause if found else None
    return out


@pytest.mark.parametrize("name", evidence.names())
def test_invariants_hold_in_every_rule(ctx: Context, name: str) -> None:
    """Real gateways vary: the causes a status may and may not get."""
    status = evidence.raw(name)["status"]
    causes = _every_rule(ctx, name)
    ngrok = leaks.ngrok_code(evidence.answer(name)) is not None
    for rule, cause in causes.items():
        where = f"{rule} on {name} ({status})"
        if cause is Cause.GENERIC_503_LEAK:
            assert status >= 500, where
        if status == 404 and not ngrok:
            assert cause is Cause.ROUTE_NOT_FOUND, where
        if 300 <= status < 400:
            assert cause is Cause.REDIRECT, where
        if status == 429:
            assert cause is Cause.RATE_LIMITED, where
        if ngrok:
            assert cause in (Cause.NGROK_TUNNEL_OFFLINE, Cause.NGROK_UPSTREAM_REFUSED,
                             Cause.NGROK_BROWSER_WARNING), where
        assert cause is not Cause.WRONG_AUTH_STATUS or 400 <= status < 500 and \
            status not in (404, 429), where


def _only_the_app_frame(body: str) -> str:
    """The recorded Express HTML trace cut to its first frame: what a bundled app (no
    node_modules paths in its frames) shows."""
    head, _, _ = body.partition("<br> &nbsp; &nbsp;at Layer")
    return head + "</pre>\n</body>\n</html>\n"


def test_an_html_trace_without_node_modules_paths_is_a_stack_trace_leak(ctx: Context) -> None:
    answer = evidence.answer("express5-throw-html-stack")
    answer.body = _only_the_app_frame(answer.text).encode()
    assert "/node_modules/" not in answer.text and "at /tmp/rec/gateway.js:" in answer.text
    assert leaks.leak(ctx, answer, "x").cause is Cause.STACK_TRACE_LEAK


@pytest.mark.parametrize("name", evidence.names())
def test_fixture_is_small_and_says_where_it_came_from(name: str) -> None:
    doc = evidence.raw(name)
    assert {"source", "request", "status", "headers", "body"} <= doc.keys()
    assert doc["source"] and {"method", "path"} <= doc["request"].keys()
    assert len(doc["body"]) <= 2048, "trim the body to its telling part"
    assert all(key == key.lower() for key in doc["headers"])
    assert name.startswith("ngrok-") == doc["source"].startswith("documented")

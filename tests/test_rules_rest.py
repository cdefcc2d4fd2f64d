"""REST rules over recorded evidence: each answer -> the cause the rule gives (or None)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from fixtures import evidence
from harness.config import resolve
from harness.judge.causes import Cause
from harness.judge.context import Context
from harness.judge.rules import rest
from harness.records.http import HttpAnswer
from harness.sanitize.redact import Redactor


@pytest.fixture(scope="module")
def ctx() -> Context:
    return Context(resolve({"target_url": "http://gw.test"}, env={}), Redactor())


def with_token(answer: HttpAnswer) -> HttpAnswer:
    """The same answer, as the reply to a request sent with the run's valid credential."""
    answer.request = replace(answer.request, auth="valid")
    return answer


def cause_of(found) -> Cause | None:  # noqa: ANN001
    return found.cause if found else None


AUTH = [
    # a protected route without a token: fixture -> cause
    ("reference-401", None),
    ("express5-401-plain", None),
    ("express5-401-nested", None),           # nested JSON error: a fine 401
    ("reference-401-nested", None),
    ("express5-403-nested", Cause.WRONG_AUTH_STATUS),
    ("express5-400-needs-query", Cause.WRONG_AUTH_STATUS),  # query checked before the token
    ("express5-bad-json-prod", Cause.WRONG_AUTH_STATUS),
    ("node-socketio-allowrequest-403", Cause.WRONG_AUTH_STATUS),
    ("express5-404-html", Cause.ROUTE_NOT_FOUND),      # never wrong-auth-status
    ("express4-404-html", Cause.ROUTE_NOT_FOUND),
    ("reference-mount-path-dropped", Cause.ROUTE_NOT_FOUND),
    ("reference-auth-not-enforced", Cause.AUTH_NOT_ENFORCED),
    ("express5-created-nested", Cause.AUTH_NOT_ENFORCED),
    ("express5-text-plain-created", Cause.AUTH_NOT_ENFORCED),
    ("reference-proxy-everywhere-503", Cause.SOCKETIO_PROXY_INTERCEPTS_REST),
    ("reference-conversations-precedence", Cause.SOCKETIO_PROXY_INTERCEPTS_REST),
    ("express5-503-websocket-config", Cause.SOCKETIO_PROXY_INTERCEPTS_REST),
    ("reference-notifications-503", Cause.GENERIC_503_LEAK),
    ("express5-503-messaging-unavailable", Cause.GENERIC_503_LEAK),
    ("express5-500-db-down", Cause.DEPENDENCY_DOWN),
    ("hpm3-504-econnrefused", Cause.UPSTREAM_UNREACHABLE),
    ("hpm3-502-invalid-upstream", Cause.UPSTREAM_UNREACHABLE),
    ("hpm3-504-socket-hang-up", Cause.UPSTREAM_UNREACHABLE),
    ("express5-throw-html-stack", Cause.STACK_TRACE_LEAK),
    ("express5-redirect-302", Cause.REDIRECT),
    ("express5-redirect-301", Cause.REDIRECT),
    ("express-rate-limit-429-draft6", Cause.RATE_LIMITED),
    ("express-rate-limit-429-draft7", Cause.RATE_LIMITED),
    ("ngrok-3200-endpoint-offline", Cause.NGROK_TUNNEL_OFFLINE),
    ("ngrok-8012-upstream-refused", Cause.NGROK_UPSTREAM_REFUSED),
    ("ngrok-6024-browser-warning", Cause.NGROK_BROWSER_WARNING),  # a 200, but not the route's
]


@pytest.mark.parametrize(("name", "cause"), AUTH, ids=[row[0] for row in AUTH])
def test_auth_rejection(ctx: Context, name: str, cause: Cause | None) -> None:
    found = rest.auth_rejection(ctx, evidence.answer(name, "no token"), [401])
    assert cause_of(found) is cause, found and found.render()


def test_a_403_is_fine_when_the_contract_accepts_it(ctx: Context) -> None:
    assert rest.auth_rejection(ctx, evidence.answer("express5-403-nested"), [401, 403]) is None


def test_a_401_that_is_not_json_is_a_contract_mismatch(ctx: Context) -> None:
    answer = evidence.answer("express5-401-plain")
    answer.body, answer.headers["content-type"] = b"Unauthorized", "text/plain; charset=utf-8"
    assert cause_of(rest.auth_rejection(ctx, answer, [401])) is Cause.CONTRACT_MISMATCH


BAD_BODY = [
    # a malformed body: fixture, sent with a token, --strict -> cause
    ("express5-bad-json-prod", False, False, None),
    ("express5-bad-json-prod", True, True, None),
    ("reference-401", False, False, None),                  # rejected before the body
    ("express5-401-nested", False, False, None),
    ("express5-bad-json-json-stack", True, False, Cause.STACK_TRACE_LEAK),
    ("reference-stack-in-json", True, False, Cause.STACK_TRACE_LEAK),
    ("express5-bad-json-html-stack", True, False, Cause.STACK_TRACE_LEAK),
    ("express4-bad-json-html-stack", False, False, Cause.STACK_TRACE_LEAK),
    ("reference-stack-trace-500", True, False, Cause.STACK_TRACE_LEAK),
    # express.json() skips text/plain: the route sees {} and a permissive one answers 201
    ("express5-text-plain-created", True, False, None),
    ("express5-text-plain-created", True, True, Cause.CONTRACT_MISMATCH),
    ("express5-text-plain-created", False, False, Cause.AUTH_NOT_ENFORCED),
    ("express5-404-html", True, False, Cause.ROUTE_NOT_FOUND),
    ("express-rate-limit-429-draft6", True, False, Cause.RATE_LIMITED),
    ("express5-500-db-down", True, False, Cause.DEPENDENCY_DOWN),  # its database, named
    ("reference-proxy-everywhere-503", False, False, Cause.SOCKETIO_PROXY_INTERCEPTS_REST),
    ("hpm3-504-econnrefused", True, False, Cause.UPSTREAM_UNREACHABLE),
    ("ngrok-6024-browser-warning", True, False, Cause.NGROK_BROWSER_WARNING),
]


@pytest.mark.parametrize(("name", "token", "strict", "cause"), BAD_BODY,
                         ids=[f"{r[0]}-{'token' if r[1] else 'none'}{'-strict' if r[2] else ''}"
                              for r in BAD_BODY])
def test_bad_body(ctx: Context, name: str, token: bool, strict: bool,
                  cause: Cause | None) -> None:
    found = rest.bad_body(ctx, evidence.answer(name, "malformed JSON"), token, strict)
    assert cause_of(found) is cause, found and found.render()


OWN = [
    # a list route with the run's token, 200 expected
    ("reference-auth-not-enforced", None),
    ("express5-aggregate-list", None),                  # any JSON
    ("express5-401-nested", Cause.CREDENTIALS_REJECTED),
    ("reference-401", Cause.CREDENTIALS_REJECTED),
    ("express5-403-nested", Cause.CREDENTIALS_REJECTED),
    ("express5-400-needs-query", Cause.CONTRACT_MISMATCH),
    ("express5-created-nested", Cause.CONTRACT_MISMATCH),
    ("express5-404-html", Cause.ROUTE_NOT_FOUND),
    ("express5-500-db-down", Cause.DEPENDENCY_DOWN),
    ("reference-conversations-precedence", Cause.SOCKETIO_PROXY_INTERCEPTS_REST),
    ("express-rate-limit-429-draft7", Cause.RATE_LIMITED),
    ("express5-redirect-302", Cause.REDIRECT),
    ("ngrok-6024-browser-warning", Cause.NGROK_BROWSER_WARNING),
    ("ngrok-8012-upstream-refused", Cause.NGROK_UPSTREAM_REFUSED),
    ("node-socketio-handshake", Cause.CONTRACT_MISMATCH),   # 200, not JSON
]


@pytest.mark.parametrize(("name", "cause"), OWN, ids=[row[0] for row in OWN])
def test_own_answer(ctx: Context, name: str, cause: Cause | None) -> None:
    found = rest.own_answer(ctx, with_token(evidence.answer(name)), [200])
    assert cause_of(found) is cause, found and found.render()


def test_a_refused_token_says_what_the_service_said(ctx: Context) -> None:
    found = rest.own_answer(ctx, with_token(evidence.answer("express5-401-nested")), [200])
    assert "No token provided" in found.message


def test_a_400_on_a_list_route_quotes_it_and_points_at_the_query_key(ctx: Context) -> None:
    found = rest.own_answer(ctx, with_token(evidence.answer("express5-400-needs-query")), [200])
    assert cause_of(found) is Cause.CONTRACT_MISMATCH
    assert "conversationId" in found.message and "query: {name:" in found.message


def test_a_400_to_a_post_with_the_runs_token_points_at_the_body_fields(ctx: Context) -> None:
    answer = with_token(evidence.answer("express5-400-needs-query"))
    answer.request = replace(answer.request, method="POST")
    found = rest.own_answer(ctx, answer, [201])
    assert cause_of(found) is Cause.CONTRACT_MISMATCH
    assert "'conversationId is required'" in found.message
    assert "flow.text_field" in found.message and "query:" not in found.message


def test_a_400_without_the_runs_token_gets_no_contract_hint(ctx: Context) -> None:
    found = rest.own_answer(ctx, evidence.answer("express5-400-needs-query"), [404], json=False)
    assert cause_of(found) is Cause.CONTRACT_MISMATCH
    assert "query:" not in found.message and "flow." not in found.message


def test_a_401_without_the_runs_token_is_no_credential_problem(ctx: Context) -> None:
    found = rest.own_answer(ctx, evidence.answer("express5-401-nested"), [200])
    assert cause_of(found) is Cause.CONTRACT_MISMATCH


def test_unknown_route_404_page_is_its_own_answer(ctx: Context) -> None:
    for name in ("express5-404-html", "express4-404-html"):
        assert rest.own_answer(ctx, evidence.answer(name), [404], json=False) is None


CREATED = [
    ("express5-created-nested", None),        # {"data": {"conversation": {"id": ...}}}
    ("express5-created-flat", None),          # {"_id": ...}
    ("express5-text-plain-created", None),
    ("express5-created-no-id", Cause.CONTRACT_MISMATCH),
    ("reference-auth-not-enforced", Cause.CONTRACT_MISMATCH),   # 200, not 201
    ("express5-400-needs-query", Cause.CONTRACT_MISMATCH),
    ("express5-401-nested", Cause.CREDENTIALS_REJECTED),
    ("express5-bad-json-json-stack", Cause.STACK_TRACE_LEAK),
    ("reference-conversations-precedence", Cause.SOCKETIO_PROXY_INTERCEPTS_REST),
]


@pytest.mark.parametrize(("name", "cause"), CREATED, ids=[row[0] for row in CREATED])
def test_created(ctx: Context, name: str, cause: Cause | None) -> None:
    found = rest.created(ctx, with_token(evidence.answer(name)), [201], ["id", "_id"])
    assert cause_of(found) is cause, found and found.render()


LOGIN = [
    # fixture, the executor found a token -> cause
    ("express5-login-nested-token", True, None),
    ("express5-login-refused", False, Cause.CREDENTIALS_REJECTED),
    ("reference-401", False, Cause.CREDENTIALS_REJECTED),
    ("express5-created-no-id", False, Cause.CONTRACT_MISMATCH),      # 2xx, no token
    ("reference-login-429", False, Cause.RATE_LIMITED),
    ("express-rate-limit-429-draft6", False, Cause.RATE_LIMITED),
    ("express5-404-html", False, Cause.ROUTE_NOT_FOUND),
    ("hpm3-504-econnrefused", False, Cause.UPSTREAM_UNREACHABLE),
    ("ngrok-6024-browser-warning", False, Cause.NGROK_BROWSER_WARNING),
    ("ngrok-3200-endpoint-offline", False, Cause.NGROK_TUNNEL_OFFLINE),
    ("express5-503-websocket-config", False, Cause.SOCKETIO_PROXY_INTERCEPTS_REST),
]


@pytest.mark.parametrize(("name", "token", "cause"), LOGIN, ids=[row[0] for row in LOGIN])
def test_login(ctx: Context, name: str, token: bool, cause: Cause | None) -> None:
    found = rest.login(ctx, evidence.answer(name), token)
    assert cause_of(found) is cause, found and found.render()


def test_refused_login_quotes_the_nested_message(ctx: Context) -> None:
    found = rest.login(ctx, evidence.answer("express5-login-refused"), False)
    assert "Invalid credentials" in found.message


def test_findings_carry_evidence_and_a_reproduction(ctx: Context) -> None:
    found = rest.auth_rejection(ctx, evidence.answer("express5-403-nested", "no token"), [401])
    assert found.evidence.startswith("GET /api/forbidden (no token) -> 403 application/json")
    assert "Access denied" in found.evidence
    assert found.reproduce.startswith("curl ") and "http://gw.test/api/forbidden" in \
        found.reproduce

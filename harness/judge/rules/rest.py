"""REST rules: rejection without valid credentials, bad bodies, the route's own answers."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

from harness.contract.paths import ID_PATHS, first_scalar, with_defaults
from harness.judge.causes import Cause
from harness.judge.context import Context, is_html
from harness.judge.findings import Finding
from harness.judge.judge import NOT_SENT, Judge
from harness.judge.kinds import Result, rule
from harness.judge.normalise import error_text
from harness.judge.rules.handled import handler_answered, route_there
from harness.judge.rules.leaks import (
    has_stack_trace,
    leak,
    looks_like_proxy_error,
    ngrok_code,
    statuses,
    unexpected,
)
from harness.records.http import HttpAnswer
from harness.records.keys import LOGIN
from harness.records.outcome import NotTested
from harness.records.plan import Check
from harness.sanitize.escape import safe_excerpt


def _line(answer: HttpAnswer) -> str:
    return f"{answer.request.method} {answer.sent_path or answer.request.path}"


def auth_rejection(ctx: Context, answer: HttpAnswer, accepted: Collection[int],
                   there: HttpAnswer | None = None,
                   no_token: HttpAnswer | None = None) -> Finding | None:
    """No or bad credentials must be rejected with an accepted status and a JSON error; a 404
    on a route `there` shows to be there is its handler's (rules.handled), `no_token` the same
    route's answer without a token."""
    expected = statuses(accepted)
    status = answer.status
    if status is not None and 200 <= status < 300 and not answer.error:
        if ngrok_code(answer) or is_html(answer):
            return unexpected(ctx, answer, expected)
        return ctx.finding(Cause.AUTH_NOT_ENFORCED, f"{_line(answer)} accepted a request with "
                           f"{answer.request.label or 'no valid token'} ({status})", answer)
    if status in accepted and not answer.error:
        if has_stack_trace(ctx, answer):
            return ctx.finding(Cause.STACK_TRACE_LEAK, f"{_line(answer)} rejected the request "
                               "but its body leaks a stack trace", answer)
        if answer.json() is None:
            if looks_like_proxy_error(ctx, answer):
                return unexpected(ctx, answer, expected)
            body = "an HTML page" if is_html(answer) else "a body that is not JSON"
            return ctx.finding(Cause.CONTRACT_MISMATCH, f"{_line(answer)} rejected the request "
                               f"with {status} but {body}; the contract expects a JSON error",
                               answer)
        return None
    found = leak(ctx, answer, expected)
    if found is not None and found.cause is Cause.ROUTE_NOT_FOUND and there is not None:
        return handler_answered(ctx, answer, expected, there, no_token, accepted)
    if found is not None:
        return found
    if status is not None and 400 <= status < 500:
        return ctx.finding(Cause.WRONG_AUTH_STATUS, f"{_line(answer)} rejected "
                           f"{answer.request.label or 'the request'} with {status}, the "
                           f"contract expects {expected}", answer)
    return unexpected(ctx, answer, expected)


def bad_body(ctx: Context, answer: HttpAnswer, with_token: bool, strict: bool) -> Finding | None:
    """A malformed, mistyped or oversized body: no 5xx, no trace, no proxy error; without a
    token never a 2xx. Requiring a 4xx with a valid token is the --strict policy."""
    line = f"{_line(answer)} with {answer.request.label or 'a bad body'}"
    status = answer.status
    if status is not None and 400 <= status < 500 and status not in (404, 429) \
            and not answer.error:
        if has_stack_trace(ctx, answer):
            return ctx.finding(Cause.STACK_TRACE_LEAK, f"{line} was rejected with {status} "
                               "but the body leaks a stack trace or internal paths", answer)
        if looks_like_proxy_error(ctx, answer):
            return unexpected(ctx, answer, "a 4xx")
        return None
    if status is not None and 200 <= status < 300 and not answer.error and \
            not ngrok_code(answer) and not is_html(answer):
        if has_stack_trace(ctx, answer):
            return ctx.finding(Cause.STACK_TRACE_LEAK, f"{line} answered {status} with a stack "
                               "trace", answer)
        if not with_token:
            return ctx.finding(Cause.AUTH_NOT_ENFORCED, f"{line} was accepted ({status}) "
                               "without a token", answer)
        if strict:
            return ctx.finding(Cause.CONTRACT_MISMATCH, f"{line} was accepted with {status}; "
                               "--strict requires a 4xx", answer)
        return None
    if with_token and status is not None and 500 <= status < 600 and not answer.error:
        from harness.judge.rules.inputs import not_the_service, server_error

        if not not_the_service(ctx, answer):
            return server_error(ctx, answer, answer.request.label or "a bad body")
    return unexpected(ctx, answer, "a 4xx without internals")


def own_answer(ctx: Context, answer: HttpAnswer, allowed: Collection[int], *,
               json: bool = True) -> Finding | None:
    """The route's own answer: a status in `allowed` (with a JSON body when `json`)."""
    expected = statuses(allowed) + (" with JSON" if json else "")
    from_ngrok = "ngrok-error-code" in answer.headers
    if answer.status in allowed and not answer.error and not from_ngrok and \
            not answer.truncated:
        if not json or answer.json() is not None:
            return None if not has_stack_trace(ctx, answer) else ctx.finding(
                Cause.STACK_TRACE_LEAK, f"{_line(answer)} answered {answer.status} but the "
                "body carries a stack trace", answer)
        if is_html(answer):
            return unexpected(ctx, answer, expected)
        return leak(ctx, answer, expected) or ctx.finding(
            Cause.CONTRACT_MISMATCH, f"{_line(answer)} answered {answer.status} with a body "
            "that is not JSON", answer)
    if answer.request.auth == "valid" and answer.status in (401, 403) and not answer.error \
            and leak(ctx, answer, expected) is None:
        return ctx.finding(Cause.CREDENTIALS_REJECTED, f"{_line(answer)} refused the run's "
                           f"valid credentials ({answer.status}: {_said(answer)!r}): does this "
                           "service verify tokens with the same JWT secret as the login?", answer)
    if answer.request.auth == "valid" and answer.status in (400, 422) and not answer.error \
            and leak(ctx, answer, expected) is None:
        hint = ("if the route needs a query parameter, give it in the contract (query: {name: "
                "\"{conversation_id}\"})") if answer.request.method == "GET" else \
            ("if the route takes other fields, change its body in the contract (or "
             "flow.conversation_field / flow.text_field)")
        return ctx.finding(Cause.CONTRACT_MISMATCH, f"{_line(answer)} should answer {expected} "
                           f"but answered {answer.status} ({_said(answer)!r}): {hint}", answer)
    return unexpected(ctx, answer, expected)


def _said(answer: HttpAnswer) -> str:
    """What an error body says, however deep its message sits."""
    body = answer.json()
    return safe_excerpt(error_text(body) if body is not None else answer.text, 120)


def created(ctx: Context, answer: HttpAnswer, allowed: Collection[int],
            id_fields: Sequence[str]) -> Finding | None:
    """A create route: a status in `allowed` and the new object's id in the JSON body."""
    found = own_answer(ctx, answer, allowed)
    if found is None and first_scalar(answer.json(), with_defaults(id_fields, ID_PATHS)) is None:
        return ctx.finding(Cause.CONTRACT_MISMATCH, f"{_line(answer)} answered {answer.status} "
                           f"but its body has no id at {' or '.join(id_fields)}", answer)
    return found


USER_ID_HOW = "set auth.user_id: claim:<name>, login:<dotted path> or 'GET <path>#<dotted path>'"


def user_id_how(judge: Judge, role: str) -> str:
    """How to make an identity's id known: `login:<path>` reads a login answer, which a
    token given without a login does not have; else where auth.user_id may point."""
    where = judge.ctx.contract.auth.user_id or ""
    login = LOGIN if role == "valid" else f"{LOGIN}:{role}"
    if where.startswith("login:") and login not in judge.evidence.answers:
        return (f"auth.user_id {where!r} reads the login answer, and this identity's token "
                "was given without a login (nothing else tells its id): with given tokens "
                "set auth.user_id: claim:<name>")
    return USER_ID_HOW


LOGIN_FIELDS = ("email", "username", "login", "phone", "identifier", "mobile")
ABOUT_THE_BODY = re.compile(r"(?i)required|missing|must be|must not|not allowed|validation|"
                            r"expected|is empty|erforderlich|obligatoire|requerido|obrigat")


def login(ctx: Context, answer: HttpAnswer, token_found: bool) -> Finding | None:
    """The login answers a token for the configured credentials."""
    if token_found:
        return None
    login_spec = ctx.contract.auth.login
    cookie = login_spec.token_cookie if login_spec else None
    field = login_spec.token_field if login_spec else "token"
    expected = f"200 setting the {cookie!r} cookie" if cookie else f"200 with a token at {field!r}"
    missing = (f"without setting the {cookie!r} cookie (set auth.login.token_cookie to the cookie "
               "it sets)") if cookie else \
        f"without a token at {field!r} (set auth.login.token_field or token_cookie)"
    if answer.status in (400, 422) and not answer.error and login_spec is not None:
        said = _said(answer)
        sent = {login_spec.username_field, login_spec.password_field}
        named = [name for name in LOGIN_FIELDS if name in said.lower() and name not in sent]
        hint = f" (it names {', '.join(map(repr, named))}: set auth.login.username_field)" \
            if named else ""
        if not named and not ABOUT_THE_BODY.search(said):
            return ctx.finding(Cause.CREDENTIALS_REJECTED, f"{_line(answer)} refused the "
                               f"configured credentials ({answer.status}: {said!r}): check "
                               "SMOKE_USERNAME / SMOKE_PASSWORD", answer)
        return ctx.finding(Cause.CONTRACT_MISMATCH, f"{_line(answer)} answered {answer.status} "
                           f"about its body ({said!r}), not about the credentials: it was sent "
                           f"{login_spec.username_field!r} and {login_spec.password_field!r}"
                           f"{hint}", answer)
    if answer.status in (400, 401, 403) and not answer.error:
        return ctx.finding(Cause.CREDENTIALS_REJECTED, f"{_line(answer)} refused the configured "
                           f"credentials ({answer.status}: {_said(answer)!r}): check "
                           "SMOKE_USERNAME / SMOKE_PASSWORD", answer)
    if answer.status is not None and 200 <= answer.status < 300:
        return leak(ctx, answer, expected) or ctx.finding(
            Cause.CONTRACT_MISMATCH, f"{_line(answer)} answered {answer.status} {missing}", answer)
    return unexpected(ctx, answer, expected)


@rule("login", shown_by="suites/rest/test_happy_path.py::test_login")
def login_check(judge: Judge, check: Check) -> Result:
    return judge.answered(check, login, bool(judge.evidence.token))


@rule("auth", shown_by="suites/rest/test_auth.py::test_rejects")
def auth_check(judge: Judge, check: Check) -> Result:
    route = check.params["route"]
    return judge.answered(check, auth_rejection, judge.ctx.contract.auth.accepted_statuses,
                          route_there(judge.evidence, route),
                          judge.evidence.answers.get(f"auth:{route}:no-token"))


@rule("bad-body", shown_by="suites/rest/test_bad_input.py::test_rejects_bad_body")
def bad_body_check(judge: Judge, check: Check) -> Result:
    return judge.answered(check, bad_body, check.params["with_token"], judge.ctx.config.strict)


@rule("list", shown_by="suites/rest/test_happy_path.py::test_lists")
def list_check(judge: Judge, check: Check) -> Result:
    placeholders = check.params.get("placeholders") or ()
    if judge.evidence.token and "conversation_id" in placeholders and \
            judge.evidence.conversation_id is None:
        return NotTested("no conversation for {conversation_id}: set flow.conversation_id (or "
                         "let the run create one: not with --read-only)")
    if judge.evidence.token and "user_id" in placeholders and \
            "valid" not in judge.evidence.user_ids:
        return NotTested(f"the run's user id is not known for {{user_id}} "
                         f"({user_id_how(judge, 'valid')})")
    return judge.answered(check, own_answer, [200])


@rule("create", shown_by="suites/rest/test_happy_path.py::test_create_conversation")
def create_check(judge: Judge, check: Check) -> Result:
    flow = judge.ctx.contract.flow
    return judge.answered(check, created, flow.created_statuses, flow.id_fields)


@rule("post", shown_by="suites/rest/test_happy_path.py::test_post_message")
def post_check(judge: Judge, check: Check) -> Result:
    return judge.answered(check, own_answer, judge.ctx.contract.flow.created_statuses,
                          missing="no conversation to post to")


@rule("unknown-route", shown_by="suites/rest/test_unknown_route.py::test_unknown_api_route")
def unknown_route_check(judge: Judge, check: Check) -> Result:
    answer = judge.answer(check)
    if isinstance(answer, NotTested) or answer is None:
        return answer or NOT_SENT
    allowed = judge.ctx.contract.unknown_route_statuses
    if answer.status in (401, 403) and answer.status not in allowed and \
            answer.status == _no_token_status(judge):
        return None if answer.status == 401 else judge.ctx.finding(
            Cause.WRONG_AUTH_STATUS, f"{_line(answer)} answered 403 as every route does without "
            "a token (authentication before routing): a missing token is 401", answer)
    return own_answer(judge.ctx, answer, allowed, json=False)


def _no_token_status(judge: Judge) -> int | None:
    """The one status every route answered without a token (None when they differ): an
    unknown path answering it sits behind the same authentication, which comes first."""
    seen = {answer.status for key, answer in judge.evidence.answers.items()
            if key.startswith("auth:") and key.endswith(":no-token")}
    return seen.pop() if len(seen) == 1 else None

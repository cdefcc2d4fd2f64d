"""Every reference-stack fault is named by the first root cause, with the lean plan; every
real-gateway variant that is not a bug stays green. In-process runs against live servers."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from fixtures import DEFAULT_CONTRACT
from harness.contract.load import load_contract
from harness.engine import RunResult
from harness.judge.kinds import shown_key
from harness.reports.document import build_document
from harness.reports.terminal import render
from harness.sanitize.redact import MASK
from harness.stacks.reference import ReferenceStack
from harness.stacks.reference.faults import FAULTS
from tests.json_server import JsonHandler, serving
from tests.test_contract_keys import contract_file

FIRST_ROOT_CAUSE = {
    "port-mismatch": "upstream-unreachable",
    "dual-upgrade": "websocket-upgrade-broken",
    "socketio-proxy-everywhere": "proxy-target-missing",
    "proxy-target-missing": "proxy-target-missing",
    "conversations-precedence": "socketio-proxy-intercepts-rest",
    "notifications-unavailable": "generic-503-leak",
    "messaging-health-503": "aggregate-unhealthy",
    "stale-service-map": "stale-config",
    "auth-not-enforced": "auth-not-enforced",
    "socketio-auth-not-enforced": "socketio-auth-not-enforced",
    "jwt-decode-only": "auth-not-enforced",
    "jwt-exp-ignored": "auth-not-enforced",
    "socketio-jwt-decode-only": "socketio-auth-not-enforced",
    "stack-trace-on-bad-json": "stack-trace-leak",
    "slow-health": "slow-response",
    "no-message-event": "realtime-event-missing",
    "cors-reject": "socketio-cors-blocked",
    "create-never-responds": "no-response",
    "db-down": "dependency-down",
    "db-refused": "dependency-down",
    "db-down-slow": "dependency-down",
    "auth-db-error-401": "dependency-down",
    "login-db-refused": "dependency-down",
    "service-url-invalid": "upstream-unreachable",
    "redis-down": "upstream-unreachable",
    "messaging-target-unset": "proxy-target-missing",
    "socketio-proxy-catch-all": "socketio-proxy-intercepts-rest",
    "secret-mismatch": "credentials-rejected",
    "mount-path-dropped": "route-not-found",
    "stack-in-json": "stack-trace-leak",
    "leak-internal-address": "internal-detail-leak",
    "join-without-membership": "room-access-not-enforced",
    "join-confirms-anyone": "room-access-not-enforced",
    "double-emit": "duplicate-delivery",
    "double-emit-late": "duplicate-delivery",
    "crash-on-wrong-type": "unhandled-bad-input",
}
GREEN_VARIANTS = ["nested-ids", "text-plain-accepted", "slow-under-load", "health-variant",
                  "rate-limited", "participants-checked", "ack-status-words"]
INCONCLUSIVE = ["login-rate-limited", "aggregate-reports-429"]
NEEDS_THEIR_CONTRACT = {"join-confirm-event", "event-names-variant", "messages-need-query",
                        "websocket-only-server",
                        "cookie-auth", "message-via-socket", "socket-direct",
                        "broadcast-skips-sender", "idor-user-route", "profile-leaks-email",
                        "double-notify", "socket-service-down", "messages-unchecked-404"}


def test_every_fault_has_an_expectation() -> None:
    covered = set(FIRST_ROOT_CAUSE) | set(GREEN_VARIANTS) | set(INCONCLUSIVE)
    assert set(FAULTS) - NEEDS_THEIR_CONTRACT <= covered


def test_healthy_stack_is_green_with_the_lean_plan(run_engine: Callable[..., RunResult]) -> None:
    result = run_engine()
    assert result.verdict == "pass", [o.message for o in result.outcomes
                                      if o.outcome != "passed"]
    assert result.requests_sent <= 40, "the embedded stack's peer and outsider included"
    assert {o.outcome for o in result.outcomes} <= {"passed", "not-tested"}


@pytest.mark.parametrize("fault", sorted(FIRST_ROOT_CAUSE))
def test_fault_is_the_first_root_cause(fault: str, run_engine: Callable[..., RunResult]) -> None:
    result = run_engine({"faults": [fault]})
    assert result.verdict == "fail", result.error
    causes = [root.cause.code for root in result.root_causes]
    assert causes[0] == FIRST_ROOT_CAUSE[fault], causes
    failed_or_blocked = [o for o in result.outcomes if o.outcome in ("failed", "blocked")]
    assert all(o.cause is not None or o.blocked_by for o in failed_or_blocked)


def test_another_users_object_is_named_on_the_route_that_takes_a_user_id(
        run_engine: Callable[..., RunResult]) -> None:
    contract = str(Path(__file__).parent.parent / "fixtures" / "contracts" / "user-routes.yaml")
    healthy = run_engine({"contract": contract})
    assert healthy.verdict == "pass", [o.message for o in healthy.outcomes
                                       if o.outcome not in ("passed", "not-tested")]
    result = run_engine({"contract": contract, "faults": ["idor-user-route"]})
    first = result.root_causes[0]
    assert first.cause.code == "object-access-not-enforced"
    assert "GET /api/users/smoke-outsider/notifications" in first.summary
    failed = next(o for o in result.outcomes if o.outcome == "failed")
    assert failed.finding is not None and "$SMOKE_TOKEN" in failed.finding.reproduce
    assert "a list of" in failed.finding.evidence, "the body's shape, never its content"
    leaked = run_engine({"contract": contract, "faults": ["profile-leaks-email"]})
    first = leaked.root_causes[0]
    assert first.cause.code == "object-access-not-enforced" and "email" in first.summary
    assert "@example.test" not in first.summary + first.evidence, "the field, never its value"


def test_an_outsider_let_into_the_room_is_told_with_what_its_join_said(
        run_engine: Callable[..., RunResult]) -> None:
    first = run_engine({"faults": ["join-without-membership"]}).root_causes[0]
    assert first.cause.code == "room-access-not-enforced"
    assert "its join was confirmed by its ack" in first.summary
    assert "received the run's message 1x" in first.summary
    assert "said nothing" not in first.summary


def test_a_duplicate_says_how_long_deliveries_were_counted(
        run_engine: Callable[..., RunResult]) -> None:
    """The window is the settle window after the first delivery, not the event budget plus it:
    a copy 0.3 s late is inside it, and the finding says what was counted, and until when."""
    first = run_engine({"faults": ["double-emit-late"]}).root_causes[0]
    assert first.cause.code == "duplicate-delivery"
    assert "counted until 500 ms after the message reached the run's own connection; the " \
        "event budget is 3000 ms" in first.summary


USER_ROUTES = str(Path(__file__).parent.parent / "fixtures" / "contracts" / "user-routes.yaml")


def test_a_user_route_is_read_under_read_only(run_engine: Callable[..., RunResult]) -> None:
    """A GET of another user's object is a read: --read-only sends it (and only the routes
    that need a conversation, which --read-only does not create, are left out as such)."""
    healthy = run_engine({"contract": USER_ROUTES, "read_only": True})
    assert healthy.verdict == "pass", [o.message for o in healthy.outcomes
                                       if o.outcome not in ("passed", "not-tested")]
    on_users = [o for o in healthy.outcomes if "{user_id}" in o.check.key]
    assert on_users and all(o.outcome == "passed" for o in on_users), \
        [(o.check.key, o.message) for o in on_users]
    result = run_engine({"contract": USER_ROUTES, "read_only": True,
                         "faults": ["idor-user-route"]})
    assert result.verdict == "fail"
    assert result.root_causes[0].cause.code == "object-access-not-enforced"


def test_a_user_route_waits_for_no_conversation(run_engine: Callable[..., RunResult]) -> None:
    """With the database down the create fails: a route with only `{user_id}` in it still
    runs (no conversation in it), and what it answers is judged, not called a budget."""
    result = run_engine({"contract": USER_ROUTES, "faults": ["db-down"]})
    on_users = {o.check.key: o for o in result.outcomes if "{user_id}" in o.check.key}
    assert on_users
    for key, found in on_users.items():
        assert found.outcome in ("passed", "failed"), (key, found.outcome, found.message)
    profile = next(o for o in on_users.values() if o.check.kind == "list"
                   and o.check.id == "GET /api/users/{user_id}")
    assert profile.outcome == "passed", "the profile needs no database and no conversation"


def test_internal_details_are_named_without_the_leaked_password(
        run_engine: Callable[..., RunResult]) -> None:
    result = run_engine({"faults": ["leak-internal-address"]})
    first = result.root_causes[0]
    assert first.cause.code == "internal-detail-leak"
    assert "mongodb://***@mongo.chat.svc.cluster.local:27017/chat" in first.summary
    assert "connect ECONNREFUSED 10.0.3.7:27017" in first.summary
    text = render(build_document(result), verbose=True, colour=False)
    assert "s3cret-db-pass" not in text and "s3cret-db-pass" not in str(build_document(result))


def test_a_database_outage_lists_the_address_its_500s_leak_after_it(
        run_engine: Callable[..., RunResult]) -> None:
    result = run_engine({"faults": ["db-down"]})
    causes = [root.cause.code for root in result.root_causes]
    assert causes[0] == "dependency-down" and "internal-detail-leak" in causes[1:]
    assert result.root_causes[0].dependency == "mongodb"


@pytest.mark.parametrize(("fault", "said"), [
    ("db-refused", "connect ECONNREFUSED 127.0.0.1:27017"),
    ("db-down-slow", "database.connected: false"),
    ("auth-db-error-401", "database.connected: false"),
    ("login-db-refused", "connect ECONNREFUSED 127.0.0.1:5432"),
])
def test_a_dead_dependency_is_named_with_the_value_that_says_so(
        fault: str, said: str, run_engine: Callable[..., RunResult]) -> None:
    result = run_engine({"faults": [fault], "timeout": 2.0} if fault == "db-down-slow"
                        else {"faults": [fault]})
    first = result.root_causes[0]
    assert first.cause.code == "dependency-down", result.root_causes
    assert first.dependency == ("postgres" if fault == "login-db-refused" else "mongodb")
    assert said in first.summary + first.evidence
    assert "SMOKE_PASSWORD" not in first.summary, "a dead database is not a wrong password"
    document = build_document(result)
    assert document["root_causes"][0]["dependency"] == first.dependency


def test_an_invalid_service_url_is_quoted_with_its_setting(
        run_engine: Callable[..., RunResult]) -> None:
    result = run_engine({"faults": ["service-url-invalid"]})
    first = result.root_causes[0]
    assert first.cause.code == "upstream-unreachable"
    assert "'Invalid URL'" in first.summary and "not a URL" in first.summary


def test_port_mismatch_is_one_sentence_naming_both_ports(
        run_engine: Callable[..., RunResult]) -> None:
    result = run_engine({"faults": ["port-mismatch"]})
    first = result.root_causes[0]
    expected = result.config.expected_services["messaging"].rsplit(":", 1)[1]
    assert f"expected :{expected}" in first.summary and "health says :" in first.summary
    assert first.blocked > 0, "the checks that needed the login are blocked, not failed"
    login = next(o for o in result.outcomes if shown_key(o.check.key) == "test_login[login]")
    assert all(o.blocked_by == login.check.key for o in result.outcomes
               if o.outcome == "blocked" and o.check.kind == "list")


def test_dependency_behind_auth_is_said(run_engine: Callable[..., RunResult]) -> None:
    result = run_engine({"faults": ["db-down"]})
    summary = result.root_causes[0].summary
    assert "mongodb is down" in summary and "MongoServerSelectionError" in summary
    assert "not at its port" in summary, "the service answered: its port is not the problem"


@pytest.mark.parametrize("variant", GREEN_VARIANTS)
def test_real_gateway_variants_stay_green(variant: str,
                                          run_engine: Callable[..., RunResult]) -> None:
    result = run_engine({"faults": [variant]})
    assert result.verdict == "pass", [(shown_key(o.check.key), o.message) for o in result.outcomes
                                      if o.outcome not in ("passed", "not-tested")]


@pytest.mark.parametrize("variant", INCONCLUSIVE)
def test_rate_limits_behind_the_gateway_are_never_a_pass(
        variant: str, run_engine: Callable[..., RunResult]) -> None:
    result = run_engine({"faults": [variant]})
    assert result.verdict == "inconclusive"
    assert not result.root_causes, "a rate limit is not a contract failure"
    assert any("rate-limited" in o.message for o in result.outcomes)
    passed = {shown_key(o.check.key) for o in result.outcomes if o.outcome == "passed"}
    assert "test_health_document[gateway]" in passed
    assert "test_rejects[GET /api/conversations-no-token]" in passed, \
        "a limit on one route (the login's own) does not stop the checks that need no token"
    reasons = [o.reason for o in result.outcomes if o.outcome == "not-tested"]
    assert not any(MASK in reason for reason in reasons), reasons  # our words, not redacted


def test_a_rate_limited_login_is_named_in_what_was_not_tested(
        run_engine: Callable[..., RunResult]) -> None:
    result = run_engine({"faults": ["login-rate-limited"]})
    needing = [o for o in result.outcomes
               if shown_key(o.check.key) == "test_lists[GET /api/conversations]"]
    assert needing and "the login was rate-limited: 429, Retry-After 900" in needing[0].reason


def test_thorough_plan_adds_the_matrix_and_a_websocket_only_session(
        run_engine: Callable[..., RunResult]) -> None:
    healthy = run_engine({"thorough": True})
    assert healthy.verdict == "pass"
    assert any(shown_key(o.check.key) == "test_websocket_only_session[websocket-only]"
               for o in healthy.outcomes)
    broken = run_engine({"thorough": True, "faults": ["dual-upgrade"]})
    assert {root.cause.code for root in broken.root_causes} == {"websocket-upgrade-broken"}


def test_many_checks_not_tested_for_one_reason_are_one_terminal_line(
        run_engine: Callable[..., RunResult]) -> None:
    document = build_document(run_engine({"faults": ["login-rate-limited"]}))
    lines = render(document).splitlines()
    grouped = [line for line in lines if re.match(r"not tested: \d+ checks: no token", line)]
    assert grouped and "rate-limited: 429" in grouped[0], lines
    reasons = [item["reason"] for item in document["not_tested"]]
    assert len(reasons) > len(set(reasons)), "several checks share a reason"
    assert len([line for line in lines if line.startswith("not tested")]) == len(set(reasons))
    verbose = render(document, verbose=True).splitlines()
    assert len([line for line in verbose if line.startswith("not tested")]) == len(reasons)


@pytest.mark.parametrize(("faults", "first", "later"), [
    (["stale-service-map", "auth-not-enforced"], "auth-not-enforced", "stale-config"),
    (["dual-upgrade", "stack-trace-on-bad-json"], "websocket-upgrade-broken",
     "stack-trace-leak"),
    (["notifications-unavailable", "stack-trace-on-bad-json"], "stack-trace-leak",
     "generic-503-leak"),
    (["db-down"], "dependency-down", "internal-detail-leak"),
])
def test_outages_that_explain_others_lead_then_security(
        faults: list[str], first: str, later: str,
        run_engine: Callable[..., RunResult]) -> None:
    result = run_engine({"faults": faults})
    causes = [root.cause.code for root in result.root_causes]
    assert causes[0] == first and later in causes[1:], causes
    document = build_document(result)
    assert [root["cause"] for root in document["root_causes"]] == causes
    assert document["root_causes"][0]["severity"] in ("security", "availability")


@pytest.mark.parametrize("separate", [False, True])
def test_notifications_reach_the_peer_once_and_the_outsider_never(
        separate: bool, run_engine: Callable[..., RunResult],
        reference_stack: Callable[..., object], tmp_path: Path) -> None:
    contract = Path(__file__).parent.parent / "fixtures" / "contracts" / "notifications.yaml"
    healthy = run_engine({"contract": str(contract)})
    assert healthy.verdict == "pass", [o.message for o in healthy.outcomes
                                       if o.outcome not in ("passed", "not-tested")]
    if separate:  # the messaging service's own Socket.IO, beside the gateway's proxy
        stack = reference_stack("double-notify")
        text = contract.read_text().replace(
            '  event: "notification:new"',
            f'  event: "notification:new"\n  url: {stack.messaging_url}')
        contract = tmp_path / "separate.yaml"
        contract.write_text(text)
        settings = stack.settings
        result = run_engine({"target_url": stack.url, "contract": str(contract),
                             "origin": "http://localhost:3000"}, env={
            "SMOKE_USERNAME": settings.username, "SMOKE_PASSWORD": settings.password,
            "SMOKE_PEER_USERNAME": settings.peer_username,
            "SMOKE_PEER_PASSWORD": settings.peer_password,
            "SMOKE_OUTSIDER_USERNAME": settings.outsider_username,
            "SMOKE_OUTSIDER_PASSWORD": settings.outsider_password})
    else:
        result = run_engine({"contract": str(contract), "faults": ["double-notify"]})
    first = result.root_causes[0]
    assert first.cause.code == "duplicate-delivery", result.root_causes
    assert "the peer's 'notification:new' notification 2x (" in first.summary, first.summary
    message_event = load_contract(contract).socketio.message_event
    assert f"2x {message_event!r}" not in first.summary, first.summary  # delivered once


def test_a_peer_whose_login_is_refused_is_named_and_never_sent_as_a_placeholder(
        run_engine: Callable[..., RunResult],
        reference_stack: Callable[..., ReferenceStack]) -> None:
    """The create names the peer (`{peer_id}`); with the peer's login refused its id is not
    known: the conversation is created without it and the peer's checks are not tested,
    naming its login, as the outsider's are."""
    stack = reference_stack("participants-checked")
    settings = stack.settings
    result = run_engine({"target_url": stack.url}, env={
        "SMOKE_USERNAME": settings.username, "SMOKE_PASSWORD": settings.password,
        "SMOKE_PEER_USERNAME": settings.peer_username, "SMOKE_PEER_PASSWORD": "wrong-password",
        "SMOKE_OUTSIDER_USERNAME": settings.outsider_username,
        "SMOKE_OUTSIDER_PASSWORD": settings.outsider_password})
    assert result.verdict == "inconclusive", [o.message for o in result.outcomes
                                              if o.outcome == "failed"]
    peer = next(o for o in result.outcomes if o.check.kind == "delivery")
    assert peer.outcome == "not-tested" and "the peer's" in peer.message
    assert "its login answered 401" in peer.message
    assert all(o.outcome == "passed" for o in result.outcomes if o.check.kind == "create")


def test_a_peer_whose_id_is_not_known_is_left_out_of_the_conversation_and_said(
        run_engine: Callable[..., RunResult], tmp_path: Path) -> None:
    """Its login works but no id is read from its token: the create goes without it, and the
    delivery check says why the peer was not counted (not that its join was refused)."""
    contract = tmp_path / "no-ids.yaml"
    contract.write_text(DEFAULT_CONTRACT.read_text().replace(
        "auth:\n", "auth:\n  user_id: \"claim:no_such_claim\"\n", 1))
    result = run_engine({"contract": str(contract), "faults": ["participants-checked"]})
    peer = next(o for o in result.outcomes if o.check.kind == "delivery")
    assert peer.outcome == "not-tested" and "the peer's id is not known" in peer.message
    assert not [o.message for o in result.outcomes if o.outcome == "failed"]


@pytest.mark.parametrize("max_requests", [20, 25, 30, 36])
def test_a_budget_that_cuts_an_identitys_login_leaves_its_checks_out(
        max_requests: int, run_engine: Callable[..., RunResult],
        reference_stack: Callable[..., ReferenceStack]) -> None:
    """A check that needs the peer or the outsider is kept only with its login: the budget
    never keeps a check that cannot run, and `{peer_id}` is never sent unresolved."""
    stack = reference_stack("participants-checked")
    settings = stack.settings
    result = run_engine({"target_url": stack.url, "max_requests": max_requests}, env={
        "SMOKE_USERNAME": settings.username, "SMOKE_PASSWORD": settings.password,
        "SMOKE_PEER_USERNAME": settings.peer_username,
        "SMOKE_PEER_PASSWORD": settings.peer_password,
        "SMOKE_OUTSIDER_USERNAME": settings.outsider_username,
        "SMOKE_OUTSIDER_PASSWORD": settings.outsider_password})
    assert result.verdict != "fail", [o.message for o in result.outcomes
                                      if o.outcome == "failed"]
    for role in ("peer", "outsider"):
        if result.plan.request(f"login:{role}") is not None:
            continue  # the fitted plan could afford it
        for found in result.outcomes:
            if role in found.check.needs or (role == "outsider" and
                                             "other-user" in found.check.needs):
                assert found.outcome == "not-tested", (found.check.key, found.outcome)
                assert "--max-requests" in found.message, (found.check.key, found.message)


def test_a_crashed_service_whose_log_says_redis_is_dependency_down(
        run_engine: Callable[..., RunResult], tmp_path: Path) -> None:
    from harness.stacks.reference import ReferenceStack

    log = tmp_path / "chat.log"
    with ReferenceStack(["redis-down"], log_path=log) as stack:
        env = {"SMOKE_USERNAME": stack.settings.username,
               "SMOKE_PASSWORD": stack.settings.password}
        blind = run_engine({"target_url": stack.url}, env=env)
        told = run_engine({"target_url": stack.url, "service_log": [f"messaging={log}"]},
                          env=env)
    assert blind.root_causes[0].cause.code == "upstream-unreachable"
    first = told.root_causes[0]
    assert (first.cause.code, first.dependency) == ("dependency-down", "redis")
    assert "messaging" in first.summary and "SocketClosedUnexpectedlyError" in first.summary
    crashed = [o for o in told.outcomes if o.check.id == "messaging-node-crash"]
    assert crashed and crashed[0].outcome == "failed"


def test_a_proxy_without_its_target_leads_the_unreachable_upstream_it_causes(
        run_engine: Callable[..., RunResult]) -> None:
    result = run_engine({"faults": ["messaging-target-unset"]})
    causes = [root.cause.code for root in result.root_causes]
    assert causes[:2] == ["proxy-target-missing", "upstream-unreachable"], causes
    assert result.root_causes[0].explains >= len(result.root_causes[1].checks)


def test_a_catch_all_socketio_proxy_with_its_target_is_the_seeds_incident(
        run_engine: Callable[..., RunResult]) -> None:
    """The gateway's own login and health answer the service's 404 while the handshake works:
    not route-not-found, not proxy-target-missing (the target is there)."""
    result = run_engine({"faults": ["socketio-proxy-catch-all"]})
    first = result.root_causes[0]
    assert first.cause.code == "socketio-proxy-intercepts-rest", result.root_causes
    assert "POST /api/auth/login" in first.summary and "GET /api/health" in first.summary
    assert all(root.cause.code != "proxy-target-missing" for root in result.root_causes)
    healthy_no_health = run_engine({"contract": str(Path(__file__).parent.parent / "fixtures"
                                                    / "contracts" / "no-health.yaml")})
    assert healthy_no_health.verdict == "pass"


class AuthServiceDown(JsonHandler):
    """A gateway whose health maps two services; the aggregate says `auth` is down (at its
    own address), `messaging` is fine; every other route wants a token."""

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        if self.path == "/api/health":
            self.send_json(200, {"status": "ok", "services": {
                "messaging": "http://127.0.0.1:4181", "auth": "http://127.0.0.1:4001"}})
        elif self.path == "/api/health/aggregate":
            self.send_json(503, {"ok": False, "services": {
                "messaging": {"ok": True},
                "auth": {"ok": False, "error": "connect ECONNREFUSED 127.0.0.1:4001"}}})
        elif self.path == "/api/messaging/health":
            self.send_json(200, {"status": "ok"})
        else:
            self.send_json(401, {"error": "No token provided"})

    do_POST = do_GET


def test_the_unreachable_service_named_is_the_one_that_failed(
        run_engine: Callable[..., RunResult], tmp_path: Path) -> None:
    """Not the first service of the health's map: messaging answers, auth does not."""
    contract = contract_file(tmp_path, {"health": {"required_services": ["messaging", "auth"]}})
    with serving(AuthServiceDown) as url:
        result = run_engine({"target_url": url, "contract": contract, "suite": [["health"]]})
    first = result.root_causes[0]
    assert first.cause.code == "upstream-unreachable", first
    assert "auth" in first.summary and "127.0.0.1:4001" in first.summary, first.summary
    assert "messaging" not in first.summary, first.summary


def _authenticates_first(status: int) -> type[JsonHandler]:
    class Gateway(JsonHandler):
        """Authentication before routing: every /api path, an unknown one too, answers
        `status` without a token."""

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            if self.path.startswith(("/api/health", "/api/messaging/health")):
                self.send_json(200, {"status": "ok", "ok": True, "services": {}})
            else:
                self.send_json(status, {"error": "No token provided"})

        do_POST = do_GET

    return Gateway


@pytest.mark.parametrize("status", [401, 403])
def test_an_unknown_path_behind_the_same_authentication_is_not_a_contract_finding(
        run_engine: Callable[..., RunResult], status: int) -> None:
    """401 everywhere: the unknown path is fine (authentication comes first); 403 everywhere:
    the unknown path is one more wrong-auth-status, not a contract-mismatch of its own."""
    with serving(_authenticates_first(status)) as url:
        result = run_engine({"target_url": url, "suite": [["rest"]]})
    unknown = next(o for o in result.outcomes if o.check.kind == "unknown-route")
    causes = {o.cause.code for o in result.outcomes if o.cause is not None}
    if status == 401:
        assert unknown.outcome == "passed", unknown.message
    else:
        assert unknown.outcome == "failed" and unknown.cause is not None
        assert unknown.cause.code == "wrong-auth-status", unknown.message
        assert "contract-mismatch" not in causes, causes


def test_a_health_answer_that_is_no_document_is_not_judged_for_its_service_map(
        run_engine: Callable[..., RunResult]) -> None:
    """The proxy caught /api/health: no 200 health document, so no service map to compare;
    the service-map check is blocked by the document's check, which says what answered."""
    result = run_engine({"faults": ["socketio-proxy-catch-all"]})
    causes = [root.cause.code for root in result.root_causes]
    assert "stale-config" not in causes, causes
    outcome = next(o for o in result.outcomes if o.check.kind == "service-map")
    assert (outcome.outcome, outcome.blocked_by) == ("blocked", "health-document[gateway]")
    document = next(o for o in result.outcomes if o.check.kind == "health-document")
    assert document.outcome == "failed" and "404" in document.message

"""Every contract key of issue 14, end to end against the embedded stack with the variant or
fault that exercises it; the schema file, the default contract's schema line and the README's
key table checked against the model."""

from __future__ import annotations

import copy
import json
import re
import shlex
import subprocess
import sys
import typing
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from pydantic import BaseModel

from fixtures import DEFAULT_CONTRACT
from harness.commands.schema import contract_schema
from harness.config import resolve
from harness.contract import Contract, load_contract
from harness.contract.model import KnownIssue
from harness.contract.paths import dig, first_scalar
from harness.engine import RunResult, run
from harness.judge.kinds import node_id, shown_key
from harness.plan import build_plan
from harness.probes.socketio_session import SocketSession
from harness.records.plan import Check
from harness.stacks.reference import ReferenceStack

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "fixtures" / "contracts"
SCHEMA_FILE = ROOT / "fixtures" / "contract.schema.json"
REAL_GATEWAY = EXAMPLES / "real-gateway.yaml"
REAL_VARIANTS = ["join-confirm-event", "event-names-variant", "nested-ids",
                 "messages-need-query", "health-variant"]
CREATE = "test_create_conversation[POST /api/conversations]"
POST = "test_post_message[POST /api/messages]"
REALTIME = "test_message_round_trip[message]"


def _merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def contract_file(tmp_path: Path, changes: dict[str, Any], base: Path = DEFAULT_CONTRACT,
                  name: str = "contract.yaml") -> str:
    """The contract at `base` with `changes` merged in, written to `tmp_path`."""
    raw = _merge(yaml.safe_load(Path(base).read_text()), changes)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return str(path)


def engine(contract: str | Path | None = None, *faults: str, **values: Any) -> RunResult:
    given = {"faults": list(faults), **values}
    if contract is not None:
        given["contract"] = str(contract)
    return run(resolve(given, env={}), say=lambda line: None)


def outcomes(result: RunResult) -> dict[str, tuple[str, str | None, str]]:
    """Check key -> (outcome, cause code, message)."""
    return {shown_key(o.check.key): (o.outcome, o.cause.code if o.cause else None, o.message)
            for o in result.outcomes}


def outcome(result: RunResult, key: str) -> str:
    return outcomes(result)[key][0]


def not_passed(result: RunResult) -> dict[str, tuple[str, str | None, str]]:
    """What did not pass, leaving out checks not tested for want of a user input."""
    return {key: value for key, value in outcomes(result).items()
            if value[0] != "passed" and not (value[0] == "not-tested"
                                             and key in {shown_key(k)
                                                         for k in result.plan.left_out})}


@pytest.fixture(scope="module")
def real_gateway() -> RunResult:
    """The example contract for issue 14's gateway, against the variants it describes, with
    create broken (a known issue)."""
    return engine(REAL_GATEWAY, *REAL_VARIANTS, "create-never-responds")


# --- socketio.join_confirm, socketio.join_payload ---------------------------------------------

def test_join_confirmed_by_an_event_with_a_bare_payload(tmp_path: Path) -> None:
    contract = contract_file(tmp_path, {"socketio": {
        "join_confirm": "event:conversation_joined", "join_payload": "{conversation_id}"}})
    result = engine(contract, "join-confirm-event")
    assert result.verdict == "pass", not_passed(result)
    assert outcome(result, REALTIME) == "passed"


def test_an_outsiders_join_confirmed_by_the_event_is_room_access_not_enforced(
        tmp_path: Path) -> None:
    """The outsider receives nothing (only members are in the room), but its join was
    confirmed by the contract's event: that alone is the finding; a refused join is not."""
    contract = contract_file(tmp_path, {"socketio": {
        "join_confirm": "event:conversation_joined", "join_payload": "{conversation_id}"}})
    result = engine(contract, "join-confirm-event", "join-confirms-anyone")
    assert result.verdict == "fail"
    first = result.root_causes[0]
    assert first.cause.code == "room-access-not-enforced", result.root_causes
    assert "was confirmed by the 'conversation_joined' event" in first.summary
    assert "received" not in first.summary, "it received nothing: the join alone is the finding"
    refused = engine(contract, "join-confirm-event")
    assert outcome(refused, "test_outsider_stays_out[outsider]") == "passed"


def test_a_join_without_an_ack_says_how_to_name_the_event() -> None:
    result = engine(None, "join-confirm-event")
    state, cause, message = outcomes(result)[REALTIME]
    assert (state, cause) == ("failed", "contract-mismatch")
    assert "no ack" in message and "join_confirm: event:conversation_joined" in message
    assert "meanwhile the server emitted 'conversation_joined'" in message


def test_a_join_the_server_never_confirms_runs_with_join_confirm_none(tmp_path: Path) -> None:
    contract = contract_file(tmp_path, {"socketio": {
        "join_confirm": "none", "join_payload": "{conversation_id}"}})
    result = engine(contract, "join-confirm-event")  # its event is not awaited
    assert result.verdict == "pass", not_passed(result)
    assert outcome(result, REALTIME) == "passed"


def test_join_confirm_none_still_fails_when_the_join_did_not_work(tmp_path: Path) -> None:
    contract = contract_file(tmp_path, {"socketio": {
        "join_confirm": "none", "join_payload": {"room": "{conversation_id}"}}})
    state, cause, message = outcomes(engine(contract, "join-confirm-event"))[REALTIME]
    assert state == "failed" and cause in ("contract-mismatch", "realtime-event-missing"), message


def test_a_wrong_join_payload_is_refused_by_the_confirm_event(tmp_path: Path) -> None:
    contract = contract_file(tmp_path, {"socketio": {
        "join_confirm": "event:conversation_joined", "join_payload": {"room": "x"}}})
    state, cause, message = outcomes(engine(contract, "join-confirm-event"))[REALTIME]
    assert (state, cause) == ("failed", "contract-mismatch")
    assert "conversationId is required" in message and "join_payload" in message


@pytest.mark.parametrize(("template", "expected"), [
    (None, {"conversationId": "c1"}),
    ("{conversation_id}", "c1"),
    ({"room": "{conversation_id}", "kind": "chat"}, {"room": "c1", "kind": "chat"}),
    (["{conversation_id}", 1], ["c1", 1]),
])
def test_join_payload_templates(template: Any, expected: Any) -> None:
    contract = load_contract(DEFAULT_CONTRACT).model_copy(deep=True)
    spec = contract.socketio.model_copy(update={"join_payload": template})
    session = SocketSession(contract.model_copy(update={"socketio": spec}), "http://x", 1)
    assert session.join_payload("c1") == expected


@pytest.mark.parametrize("value", ["event", "acknowledged", "None", ""])
def test_join_confirm_accepts_ack_none_or_an_event_only(value: str) -> None:
    raw = yaml.safe_load(DEFAULT_CONTRACT.read_text())
    raw["socketio"]["join_confirm"] = value
    with pytest.raises(ValueError, match="join_confirm"):
        Contract.model_validate(raw)


# --- socketio.transports ----------------------------------------------------------------------

WEBSOCKET_ONLY = "test_websocket_only_session[websocket-only]"


def test_a_websocket_only_server_fails_the_default_contract_naming_the_key() -> None:
    state, cause, message = outcomes(engine(None, "websocket-only-server"))[
        "test_polling_handshake[polling]"]
    assert (state, cause) == ("failed", "socketio-handshake-failed")
    assert "set socketio.transports: [websocket]" in message


def test_transports_websocket_runs_every_socket_check_over_one_websocket(
        tmp_path: Path) -> None:
    contract = contract_file(tmp_path, {"socketio": {"transports": ["websocket"]}})
    result = engine(contract, "websocket-only-server", origin="http://localhost:3000")
    assert result.verdict == "pass", not_passed(result)
    for key in (WEBSOCKET_ONLY, "test_connect_refused[no-token]",
                "test_connect_refused[forged-token]", "test_connect_with_token[websocket-token]",
                REALTIME):
        assert outcome(result, key) == "passed", key
    assert "websockets only" in str(result.plan.left_out["cors[origin]"])
    # the run's, the peer's, the outsider's, and one after the events of the wrong type
    assert result.requests_by_suite["socket"] == 4
    assert result.requests_sent == result.plan.request_count


def test_faults_are_named_over_a_websocket_only_session(tmp_path: Path) -> None:
    contract = contract_file(tmp_path, {"socketio": {"transports": ["websocket"]}})
    open_access = engine(contract, "websocket-only-server", "socketio-auth-not-enforced")
    assert open_access.root_causes[0].cause.code == "socketio-auth-not-enforced"
    broken = engine(contract, "proxy-target-missing")
    assert outcomes(broken)[WEBSOCKET_ONLY][:2] == ("failed", "proxy-target-missing")
    blocked = [o for o in broken.outcomes if o.outcome == "blocked"]
    assert blocked and all(shown_key(o.blocked_by or "") == WEBSOCKET_ONLY for o in blocked
                           if node_id(o.check).startswith("suites/socket/"))


def test_the_reproduce_line_on_a_websocket_only_server_opens_a_websocket(
        tmp_path: Path) -> None:
    """The socket findings' reproduce line replays what the run did on a websocket-only
    server (a websocket opened directly): on the healthy server it exits 0, where the polling
    handshake alone answers 400."""
    contract = contract_file(tmp_path, {"socketio": {"transports": ["websocket"]}})
    with ReferenceStack(["websocket-only-server", "socketio-auth-not-enforced"]) as stack:
        env = {"SMOKE_USERNAME": stack.settings.username,
               "SMOKE_PASSWORD": stack.settings.password}
        result = run(resolve({"target_url": stack.url, "contract": contract}, env=env),
                     say=lambda line: None)
        finding = result.root_causes[0]
        line = next(o.finding.reproduce for o in result.outcomes if o.finding is not None
                    and o.finding.cause.code == "socketio-auth-not-enforced")
        words = shlex.split(line)
        assert words[:4] == ["python", "-m", "harness", "probe"], line
        assert words[-2:] == ["--transport", "websocket"], line
        replay = subprocess.run([sys.executable, *words[1:]], capture_output=True, text=True,
                                timeout=60)
        polling = subprocess.run([sys.executable, *words[1:-2]], capture_output=True,
                                 text=True, timeout=60)
    assert finding.cause.code == "socketio-auth-not-enforced"
    assert replay.returncode == 0 and "< 0{" in replay.stdout, replay.stdout
    assert polling.returncode == 1 and "< 400" in polling.stdout, polling.stdout
    assert "try --transport websocket" in polling.stdout


def test_a_second_room_member_joins_over_its_own_websocket_only_session(
        tmp_path: Path) -> None:
    contract = contract_file(tmp_path, {"socketio": {"transports": ["websocket"]}},
                             base=EXAMPLES / "message-via-socket.yaml")
    result = engine(contract, "websocket-only-server", "broadcast-skips-sender")
    assert result.verdict == "pass", not_passed(result)
    assert outcome(result, REALTIME) == "passed"
    # the session, the second member's, the peer's and the outsider's in the room, and one
    # after the events of the wrong type
    assert result.requests_by_suite["socket"] == 5


def test_the_websocket_only_example_is_green_on_its_variant() -> None:
    result = engine(EXAMPLES / "websocket-only.yaml", "websocket-only-server")
    assert result.verdict == "pass", not_passed(result)


def test_transports_must_name_known_transports() -> None:
    raw = yaml.safe_load(DEFAULT_CONTRACT.read_text())
    for value in ([], ["long-polling"], "websocket"):
        raw["socketio"]["transports"] = value
        with pytest.raises(ValueError, match="transports"):
            Contract.model_validate(raw)


# --- the realtime check names the contract's events -------------------------------------------

def test_a_missing_event_is_named_as_the_contract_names_it(tmp_path: Path) -> None:
    contract = contract_file(tmp_path, {"socketio": {
        "join_event": "join_conversation", "message_event": "new_message"}})
    state, cause, message = outcomes(engine(contract, "event-names-variant",
                                            "no-message-event"))[REALTIME]
    assert (state, cause) == ("failed", "realtime-event-missing")
    assert "'new_message'" in message and "message:new" not in message


def test_a_message_under_another_event_name_says_which(tmp_path: Path) -> None:
    contract = contract_file(tmp_path, {"socketio": {"join_event": "join_conversation"}})
    state, cause, message = outcomes(engine(contract, "event-names-variant"))[REALTIME]
    assert (state, cause) == ("failed", "realtime-event-missing")
    assert "the text came as 'new_message': set socketio.message_event: new_message" in message


def test_renamed_events(real_gateway: RunResult) -> None:
    assert outcome(real_gateway, REALTIME) == "passed"


# --- flow.id_fields, auth.login.token_field (dotted) ------------------------------------------

def test_nested_ids_and_token(tmp_path: Path) -> None:
    contract = contract_file(tmp_path, {
        "auth": {"login": {"token_field": "data.token"}},
        "flow": {"id_fields": ["data.conversation.id"]}})
    result = engine(contract, "nested-ids")
    assert result.verdict == "pass", not_passed(result)
    assert outcome(result, CREATE) == outcome(result, REALTIME) == "passed"


def test_a_created_answer_without_an_id_at_the_paths_is_named(tmp_path: Path) -> None:
    contract = contract_file(tmp_path, {"flow": {"id_fields": ["data.conversation.uuid"]}})
    result = engine(contract)
    # the usual places are tried after the contract's: the plain stack's `id` is found
    assert outcome(result, CREATE) == "passed"


def test_dotted_paths() -> None:
    body = {"data": {"conversation": {"id": "c1"}, "items": [{"token": "t"}]}}
    assert dig(body, "data.conversation.id") == "c1"
    assert dig(body, "data.items.0.token") == "t"
    assert dig(body, "data.nothing.id") is None
    assert first_scalar(body, ["data.id", "data.conversation.id"]) == "c1"


# --- protected_routes[].query, {conversation_id} placeholders, timeout_s ---------------------

def test_a_route_that_needs_a_query_fails_without_it() -> None:
    state, cause, _ = outcomes(engine(None, "messages-need-query"))[
        "test_lists[GET /api/messages]"]
    assert (state, cause) == ("failed", "contract-mismatch")


def test_query_with_the_conversation_placeholder(tmp_path: Path) -> None:
    routes = yaml.safe_load(DEFAULT_CONTRACT.read_text())["protected_routes"]
    for route in routes:
        if route["path"] == "/api/messages" and route["method"] == "GET":
            route["query"] = {"conversationId": "{conversation_id}"}
    contract = contract_file(tmp_path, {"protected_routes": routes})
    config = resolve({"contract": contract}, env={"SMOKE_TOKEN": "t"})
    request = build_plan(config).request("list:GET /api/messages")
    assert request is not None
    assert request.path == "/api/messages?conversationId={conversation_id}"
    result = engine(contract, "messages-need-query")
    assert result.verdict == "pass", not_passed(result)


def test_path_placeholder_gets_the_created_conversation(tmp_path: Path) -> None:
    routes = [*yaml.safe_load(DEFAULT_CONTRACT.read_text())["protected_routes"],
              {"method": "GET", "path": "/api/messages/{conversation_id}"}]
    result = engine(contract_file(tmp_path, {"protected_routes": routes}))
    assert result.verdict == "pass", not_passed(result)
    key = "test_lists[GET /api/messages/{conversation_id}]"
    assert outcome(result, key) == "passed"
    # without a token the placeholder is a dummy id: the token check comes first (401)
    assert outcome(result, "test_rejects[GET /api/messages/{conversation_id}-no-token]") == \
        "passed"


def test_a_route_timeout_is_that_routes_own(tmp_path: Path) -> None:
    routes = yaml.safe_load(DEFAULT_CONTRACT.read_text())["protected_routes"]
    for route in routes:
        if route["path"] == "/api/conversations" and route["method"] == "POST":
            route["timeout_s"] = 1
    contract = contract_file(tmp_path, {"protected_routes": routes,
                                        "defaults": {"timeout_s": 4}})
    result = engine(contract, "create-never-responds")
    state, cause, message = outcomes(result)[CREATE]
    assert (state, cause) == ("failed", "no-response")
    assert "within 1" in message
    create = next(o for o in result.outcomes if shown_key(o.check.key) == CREATE)
    assert create.latency_ms is not None and create.latency_ms < 4000, "not the 4 s default"


def test_real_gateway_query_and_placeholder_routes(real_gateway: RunResult) -> None:
    assert outcome(real_gateway, "test_lists[GET /api/messages]") == "passed"
    assert outcome(real_gateway, "test_lists[GET /api/messages/{conversation_id}]") == "passed"


# --- health.expected_services as names -------------------------------------------------------

def test_expected_services_as_names(tmp_path: Path) -> None:
    good = contract_file(tmp_path, {"health": {"expected_services": ["messaging", "auth"]}},
                         name="good.yaml")
    result = engine(good, "health-variant")
    assert outcome(result, "test_service_map[service-map]") == "passed"
    bad = contract_file(tmp_path, {"health": {"expected_services": ["messaging", "billing"]}},
                        name="bad.yaml")
    state, cause, message = outcomes(engine(bad, "health-variant"))[
        "test_service_map[service-map]"]
    assert (state, cause) == ("failed", "stale-config")
    assert "billing" in message


# --- error_signatures.stack_trace: escaped traces ---------------------------------------------

def test_a_stack_trace_inside_json_is_found_by_the_default_contract() -> None:
    failed = {key: cause for key, (state, cause, _) in
              outcomes(engine(None, "stack-in-json")).items() if state == "failed"}
    assert "stack-trace-leak" in failed.values(), failed


def test_default_stack_patterns_match_an_escaped_trace() -> None:
    patterns = load_contract(DEFAULT_CONTRACT).error_signatures.stack_trace
    escaped = json.dumps({"stack": "SyntaxError: Unexpected token\n    at parse "
                                   "(/srv/app/lib/json.js:92:19)"})
    assert any(re.search(p, escaped) for p in patterns if "node_modules" not in p)


# --- flow.conversation_id -------------------------------------------------------------------

def test_fixed_conversation_when_create_is_broken(real_gateway: RunResult) -> None:
    assert outcome(real_gateway, CREATE) == "known-issue"
    assert outcome(real_gateway, POST) == "passed"
    assert outcome(real_gateway, REALTIME) == "passed"
    assert real_gateway.verdict == "pass", not_passed(real_gateway)


def test_without_a_fixed_conversation_a_broken_create_blocks_the_post(tmp_path: Path) -> None:
    result = engine(None, "create-never-responds")
    assert outcome(result, POST) == outcome(result, REALTIME) == "blocked"


def test_fixed_conversation_read_only(tmp_path: Path) -> None:
    routes = [*yaml.safe_load(DEFAULT_CONTRACT.read_text())["protected_routes"],
              {"method": "GET", "path": "/api/messages/{conversation_id}"}]
    contract = contract_file(tmp_path, {"protected_routes": routes, "flow": {
        "conversation_id": "smoke-fixed-conversation"}})
    result = engine(contract, read_only=True)
    keys = set(outcomes(result))
    assert CREATE not in keys and POST not in keys and REALTIME not in keys
    assert outcome(result, "test_lists[GET /api/messages/{conversation_id}]") == "passed"
    assert result.verdict == "pass", not_passed(result)


# --- flow.message_via ----------------------------------------------------------------------

def test_message_via_socket() -> None:
    contract = EXAMPLES / "message-via-socket.yaml"
    result = engine(contract, "message-via-socket")
    assert result.verdict == "pass", not_passed(result)
    assert outcome(result, REALTIME) == "passed"


def test_message_via_rest_where_only_the_socket_emits() -> None:
    state, cause, _ = outcomes(engine(None, "message-via-socket"))[REALTIME]
    assert (state, cause) == ("failed", "realtime-event-missing")


def test_message_via_is_rest_or_a_socket_event() -> None:
    raw = yaml.safe_load(DEFAULT_CONTRACT.read_text())
    raw["flow"]["message_via"] = "socket:"
    with pytest.raises(ValueError, match="message_via"):
        Contract.model_validate(raw)


# --- socketio.url ---------------------------------------------------------------------------

def socket_direct_run(stack: ReferenceStack, tmp_path: Path,
                      **socketio: Any) -> RunResult:
    """The socket-direct example contract with these `socketio` keys (None removes one), run
    with the stack's login."""
    raw = yaml.safe_load((EXAMPLES / "socket-direct.yaml").read_text())
    for key, value in socketio.items():
        if value is None:
            raw["socketio"].pop(key, None)
        else:
            raw["socketio"][key] = value
    path = tmp_path / "direct.yaml"
    path.write_text(yaml.safe_dump(raw))
    env = {"SMOKE_USERNAME": stack.settings.username, "SMOKE_PASSWORD": stack.settings.password}
    return run(resolve({"target_url": stack.url, "contract": str(path)}, env=env),
               say=lambda line: None)


def test_a_stopped_socket_service_behind_a_working_gateway_is_the_upstream(
        tmp_path: Path) -> None:
    """Its REST routes answer 504 and its own Socket.IO URL refuses: one root cause, the
    service (never target-unreachable: the gateway answers)."""
    with ReferenceStack(["socket-direct", "socket-service-down"]) as stack:
        result = socket_direct_run(stack, tmp_path, url=stack.messaging_url)
    causes = [root.cause.code for root in result.root_causes]
    assert causes == ["upstream-unreachable"], causes
    handshake = outcomes(result)["test_polling_handshake[polling]"]
    assert handshake[1] == "upstream-unreachable" and "refused the connection" in handshake[2]


@pytest.mark.parametrize("direct", [True, False])
def test_socketio_url_when_the_gateway_does_not_proxy_it(tmp_path: Path, direct: bool) -> None:
    with ReferenceStack(["socket-direct"]) as stack:
        result = socket_direct_run(stack, tmp_path,
                                   url=stack.messaging_url if direct else None)
    if direct:
        assert result.verdict == "pass", not_passed(result)
        assert outcome(result, REALTIME) == "passed"
    else:
        state, cause, _ = outcomes(result)["test_polling_handshake[polling]"]
        assert (state, cause) == ("failed", "route-not-found")


# --- auth.login.token_cookie, auth.scheme cookie:<name> --------------------------------------

def test_cookie_login_and_cookie_scheme() -> None:
    result = engine(EXAMPLES / "cookie-auth.yaml", "cookie-auth")
    assert result.verdict == "pass", not_passed(result)
    # the login's cookie never rides on a probe that must go without a token
    assert outcome(result, "test_rejects[GET /api/conversations-no-token]") == "passed"


def test_a_cookie_login_read_as_a_body_token_is_named() -> None:
    state, cause, message = outcomes(engine(None, "cookie-auth"))["test_login[login]"]
    assert (state, cause) == ("failed", "contract-mismatch")
    assert "token_cookie" in message


# --- health: null ---------------------------------------------------------------------------

def test_no_health_route() -> None:
    result = engine(EXAMPLES / "no-health.yaml")
    assert not any(node_id(o.check).startswith("suites/health/")
                   and o.outcome in ("failed", "blocked")
                   for o in result.outcomes)
    assert result.verdict == "pass", not_passed(result)
    state, _, reason = outcomes(result)["test_health_document[gateway]"]
    assert state == "not-tested" and "health" in reason


# --- known_issues ---------------------------------------------------------------------------

def _known(tmp_path: Path, check: str, cause: str | None = None) -> str:
    issue = {"check": check, "reason": "create never answers", "link": "https://t.example/1"}
    if cause:
        issue["cause"] = cause
    return contract_file(tmp_path, {"known_issues": [issue]}, name="known.yaml")


def test_a_known_issue_that_fails_is_known_not_failed(tmp_path: Path) -> None:
    result = engine(_known(tmp_path, "POST /api/conversations*", "no-response"),
                    "create-never-responds")
    assert outcome(result, CREATE) == "known-issue"
    assert result.verdict != "fail"


def test_a_known_issue_that_passes_is_flagged_fixed(tmp_path: Path) -> None:
    from harness.reports.document import build_document

    result = engine(_known(tmp_path, "POST /api/conversations"))
    assert outcome(result, CREATE) == "passed"
    assert result.verdict == "pass"
    issues = build_document(result)["known_issues"]
    assert [issue["status"] for issue in issues] == ["fixed"]
    assert issues[0]["reason"] == "create never answers"


def test_a_known_issue_failing_with_another_cause_is_a_failure(tmp_path: Path) -> None:
    result = engine(_known(tmp_path, "POST /api/conversations", "no-response"),
                    "conversations-precedence")
    state, cause, _ = outcomes(result)[CREATE]
    assert state == "failed" and cause != "no-response"
    assert result.verdict == "fail"


def test_a_known_issue_as_a_glob(tmp_path: Path) -> None:
    result = engine(_known(tmp_path, "POST /api/conv*"), "create-never-responds")
    assert outcome(result, CREATE) == "known-issue"


@pytest.mark.parametrize("name", [
    CREATE, f"suites/rest/test_happy_path.py::{CREATE}", "POST /api/conversations",
    "*create_conversation*"])
def test_known_issue_names_a_check_by_report_id_key_case_id_or_glob(name: str) -> None:
    check = Check("POST /api/conversations", "create", ("create",))
    issue = KnownIssue(check=name, reason="r")
    assert issue.matches(node_id(check), shown_key(check.key), check.id)
    assert not KnownIssue(check=name.replace("conversations", "messages").replace(
        "create_conversation", "post_message"), reason="r").matches(
        node_id(check), shown_key(check.key), check.id)


def test_known_issue_by_its_report_id_end_to_end(tmp_path: Path) -> None:
    from harness.judge.outcomes import known_issue_for

    check = Check("POST /api/conversations", "create", ("create",))
    assert known_issue_for(check, [KnownIssue(check=node_id(check), reason="r")]) is not None
    result = engine(_known(tmp_path, node_id(check), "no-response"), "create-never-responds")
    assert outcome(result, CREATE) == "known-issue"


# --- the real gateway, every key at once -----------------------------------------------------

def test_real_gateway_contract_is_green_on_its_variants(real_gateway: RunResult) -> None:
    assert real_gateway.verdict == "pass", not_passed(real_gateway)
    assert outcome(real_gateway, "test_service_map[service-map]") == "passed"
    assert outcome(real_gateway, "test_login[login]") == "passed"


# --- strict, base_path ------------------------------------------------------------------------

def test_strict_in_the_contract_adds_bad_bodies_with_a_token(tmp_path: Path) -> None:
    contract = contract_file(tmp_path, {"strict": True})
    config = resolve({"contract": contract}, env={})
    assert config.strict
    assert any(c.params.get("with_token") for c in build_plan(config).checks
               if c.kind == "bad-body")


def test_base_path_in_the_contract(tmp_path: Path) -> None:
    contract = contract_file(tmp_path, {"base_path": "/gw"})
    config = resolve({"contract": contract, "target_url": "https://example.com/gw"}, env={})
    assert config.base_url == "https://example.com/gw"


# --- the schema, the default contract's schema line, the key table ----------------------------

def test_the_committed_schema_is_the_models() -> None:
    assert json.loads(SCHEMA_FILE.read_text()) == contract_schema(), (
        "regenerate it: python -m harness schema > fixtures/contract.schema.json")


@pytest.mark.parametrize("path", [DEFAULT_CONTRACT, *sorted(EXAMPLES.glob("*.yaml"))],
                         ids=lambda p: Path(p).name)
def test_contracts_point_at_the_schema_and_load(path: Path) -> None:
    first = Path(path).read_text().splitlines()[0]
    assert first.startswith("# yaml-language-server: $schema=")
    target = (Path(path).parent / first.split("=", 1)[1]).resolve()
    assert target == SCHEMA_FILE.resolve()
    load_contract(path)


def _keys(model: type[BaseModel], prefix: str = "") -> list[str]:
    keys = []
    for name, field in model.model_fields.items():
        keys.append(prefix + name)
        nested = [arg for arg in (*typing.get_args(field.annotation), field.annotation)
                  for arg in (*typing.get_args(arg), arg)
                  if isinstance(arg, type) and issubclass(arg, BaseModel)]
        if nested:
            many = "list" in str(field.annotation)
            keys += _keys(nested[0], f"{prefix}{name}{'[]' if many else ''}.")
    return keys


def test_every_key_is_in_the_readme_table() -> None:
    readme = (ROOT / "README.md").read_text()
    table = readme.split("\n## The contract\n", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `([^`]+)` \|", table, re.MULTILINE))
    leaves = {key for key in _keys(Contract)
              if not any(other.startswith(key + ".") or other.startswith(key + "[].")
                         for other in _keys(Contract))}
    assert leaves - documented == set()
    assert documented - set(_keys(Contract)) == set()


def test_a_message_sent_over_the_socket_is_awaited_on_a_second_member() -> None:
    """socket.to(room) skips the sender: the event is awaited on another client in the room."""
    result = engine(EXAMPLES / "message-via-socket.yaml", "broadcast-skips-sender")
    assert result.verdict == "pass", not_passed(result)
    # handshake and upgrade (the refusals), the chain's own websocket, and one websocket each
    # (opened directly) for the member, the peer and the outsider; whether the service still
    # runs after the events of the wrong type is asked on the chain's websocket
    assert result.requests_by_suite["socket"] == 6


def test_a_platform_without_rest_create_or_post_uses_the_fixed_conversation(
        tmp_path: Path) -> None:
    """flow.create_conversation/post_message: null: nothing is planned for them; the fixed
    conversation is joined and the message goes over the socket."""
    contract = contract_file(tmp_path, {"flow": {
        "create_conversation": None, "post_message": None,
        "conversation_id": "smoke-fixed-conversation"}},
        base=EXAMPLES / "message-via-socket.yaml")
    result = engine(contract, "message-via-socket")
    assert result.verdict == "pass", not_passed(result)
    kinds = {check.kind for check in result.plan.checks}
    assert "create" not in kinds and "post" not in kinds
    assert not any(r.key in ("create", "post", "outsider:post") for r in result.plan.http)
    assert outcome(result, REALTIME) == "passed"


def test_the_embedded_identities_secrets_reach_no_output(tmp_path: Path) -> None:
    from harness.reports.document import build_document
    from harness.reports.terminal import render

    result = engine(None, "double-emit")
    secrets = [people.password for people in result.config.identities.values()]
    assert len(secrets) == 2 and all(secrets)
    document = build_document(result)
    text = json.dumps(document) + render(document, verbose=True, colour=False)
    assert not any(secret in text for secret in secrets)


@pytest.mark.parametrize("where", ["claim:sub", "GET /api/auth/me#user.id", None])
def test_user_ids_come_from_where_the_contract_says(tmp_path: Path, where: str | None) -> None:
    contract = contract_file(tmp_path, {"auth": {"user_id": where}},
                             base=EXAMPLES / "user-routes.yaml")
    result = engine(contract, "idor-user-route")
    assert result.root_causes[0].cause.code == "object-access-not-enforced", result.root_causes
    assert "/api/users/smoke-outsider/notifications" in result.root_causes[0].summary
    asked = any(r.key.startswith("whoami:") for r in result.plan.http)
    assert asked == (where or "").startswith("GET ")


def test_without_a_health_route_the_token_is_set_before_anything_needs_it(
        tmp_path: Path) -> None:
    """health: null with SMOKE_TOKEN: the first probe is one that needs no credential, so no
    create goes out with an empty token and comes back as a false credentials-rejected."""
    log = tmp_path / "messaging.log"
    log.write_text("Messaging Service running on port 5005\n")
    with ReferenceStack() as stack:
        token = httpx.post(f"{stack.url}/api/auth/login", json={
            "username": stack.settings.username,
            "password": stack.settings.password}, timeout=5).json()["token"]
        result = run(resolve({"target_url": stack.url,
                              "contract": str(EXAMPLES / "no-health.yaml"),
                              "service_log": [f"messaging={log}"]},
                             env={"SMOKE_TOKEN": token}), say=lambda line: None)
    assert result.verdict == "pass", not_passed(result)
    assert outcome(result, CREATE) == "passed"
    logs = [o for o in result.outcomes if o.check.kind == "service-log"]
    assert [o.outcome for o in logs if o.outcome != "passed"] == ["not-tested"], \
        "--service-log is not dropped (only the port check waits for an expected port)"
    assert len(logs) > 5


def test_a_route_that_names_the_peer_is_not_tested_without_one(tmp_path: Path) -> None:
    contract = contract_file(tmp_path, {"protected_routes": [
        {"method": "GET", "path": "/api/conversations"},
        {"method": "GET", "path": "/api/users/{peer_id}/notifications"}]})
    config = resolve({"contract": contract, "target_url": "http://gw.test"},
                     env={"SMOKE_TOKEN": "t0ken-value"})
    plan = build_plan(config)
    naming = [check.key for check in plan.checks
              if check.probes == () and "{peer_id}" in check.id]
    assert naming and all("no peer identity" in str(plan.left_out[key]) for key in naming)
    assert not any("{peer_id}" in r.path for r in plan.http)
    default = build_plan(resolve({"target_url": "http://gw.test"},
                                 env={"SMOKE_TOKEN": "t0ken-value"}))
    dropped = {check.kind for check in default.checks if check.key in default.left_out
               and "no peer identity" in str(default.left_out[check.key])}
    assert dropped == {"delivery"}, "a body's {peer_id} element is dropped, not its check"
    assert not any(b"{peer_id}" in (r.body or b"") for r in default.http)


def test_a_stopped_websocket_only_service_is_the_upstream_not_a_broken_upgrade(
        tmp_path: Path) -> None:
    """socketio.url on a websocket-only service that is stopped: its websocket connection is
    refused, which is the service's outage (one root cause with its REST routes' 504s), not
    a broken upgrade."""
    with ReferenceStack(["socket-direct", "socket-service-down",
                         "websocket-only-server"]) as stack:
        result = socket_direct_run(stack, tmp_path, url=stack.messaging_url,
                                   transports=["websocket"])
        where = stack.messaging_url.split("://", 1)[1]
    causes = [root.cause.code for root in result.root_causes]
    assert causes == ["upstream-unreachable"], causes
    _, cause, message = outcomes(result)["test_websocket_only_session[websocket-only]"]
    assert cause == "upstream-unreachable" and where in message, message

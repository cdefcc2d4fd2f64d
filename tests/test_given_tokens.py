"""Tokens given (SMOKE_TOKEN, SMOKE_PEER_TOKEN, SMOKE_OUTSIDER_TOKEN) with auth.user_id
`login:<path>`: there is no login answer to read, so each id comes from the token's claims;
when nothing tells it (an opaque token), the run says so and what to set instead."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from harness.judge.result import RunResult
from harness.stacks.reference import ReferenceStack
from harness.stacks.reference.auth import issue_token
from tests.json_server import JsonHandler, serving
from tests.test_contract_keys import contract_file, not_passed, outcomes

LOGIN_ID = {"auth": {"user_id": "login:user.id"}}


def test_given_jwt_tokens_tell_their_ids_by_their_claims(
        reference_stack: Callable[..., ReferenceStack],
        run_engine: Callable[..., RunResult], tmp_path: Path) -> None:
    stack = reference_stack()
    settings = stack.settings
    env = {name: issue_token(settings.jwt_secret, user) for name, user in (
        ("SMOKE_TOKEN", settings.username), ("SMOKE_PEER_TOKEN", settings.peer_username),
        ("SMOKE_OUTSIDER_TOKEN", settings.outsider_username))}
    result = run_engine({"target_url": stack.url,
                         "contract": contract_file(tmp_path, LOGIN_ID)}, env=env)
    assert result.verdict == "pass", not_passed(result)


class Opaque(JsonHandler):
    """Takes any bearer token; every route answers an empty list."""

    def _answer(self) -> None:
        self.body()
        if not self.headers.get("authorization", "").startswith("Bearer opaque-"):
            self.send_json(401, {"error": "unauthorized"})
            return
        self.send_json(200, [])

    do_GET = do_POST = _answer


def test_an_opaque_given_token_with_a_login_path_says_what_to_set(
        run_engine: Callable[..., RunResult], tmp_path: Path) -> None:
    contract = contract_file(tmp_path, {**LOGIN_ID, "health": None,
                                        "protected_routes": [
                                            {"method": "GET", "path": "/api/users/{user_id}"}]})
    with serving(Opaque) as url:
        result = run_engine({"target_url": url, "contract": contract, "suites": ("rest",)},
                            env={"SMOKE_TOKEN": "opaque-session-0123456789"})
    state, _, message = next(found for key, found in outcomes(result).items()
                             if key.startswith("test_lists"))
    assert state == "not-tested", message
    assert "'login:user.id' reads the login answer" in message
    assert "with given tokens set auth.user_id: claim:<name>" in message

"""Cookie auth (`auth.scheme: cookie:<name>`): every variant of the auth matrix sends a cookie
(wrong or empty), and every reproduce line pastes into a shell. The embedded stack."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from pathlib import Path

import pytest

from fixtures import DEFAULT_CONTRACT
from harness.config import resolve
from harness.engine import RunResult
from harness.plan import build_plan
from tests.conftest import HarnessRun
from tests.json_server import JsonHandler, serving

COOKIE_CONTRACT = DEFAULT_CONTRACT.parent / "contracts" / "cookie-auth.yaml"


def messages_first(tmp_path: Path) -> Path:
    """The cookie contract with GET /api/messages as its matrix route (every variant there)."""
    text = COOKIE_CONTRACT.read_text().replace(
        "protected_routes:\n", "protected_routes:\n  - {method: GET, path: /api/messages}\n", 1)
    path = tmp_path / "cookie.yaml"
    path.write_text(text)
    return path


def test_wrong_scheme_and_empty_bearer_send_a_cookie(tmp_path: Path) -> None:
    config = resolve({"contract": str(messages_first(tmp_path)),
                      "target_url": "http://127.0.0.1:9"}, env={})
    sent = {request.key: dict(request.headers) for request in build_plan(config).http}
    assert sent["auth:GET /api/messages:wrong-scheme"] == {"cookie": "token=c21va2U6c21va2U="}
    assert sent["auth:GET /api/messages:empty-bearer"] == {"cookie": "token="}
    assert "authorization" not in sent["auth:GET /api/messages:garbage"]


def test_every_reproduce_line_pastes(run_harness: Callable[..., HarnessRun],
                                     tmp_path: Path) -> None:
    run = run_harness("--contract", str(messages_first(tmp_path)), "--fault", "cookie-auth",
                      "--fault", "auth-not-enforced")
    assert run.code == 1 and run.report is not None, run.output
    lines = [check["reproduce"] for check in run.report["checks"] if check["reproduce"]]
    assert len(lines) >= 7
    for line in lines:
        words = shlex.split(line)
        assert words[0] == "curl" and all(not w.startswith(("'", '"')) for w in words), line
    cookies = [w for line in lines for w in shlex.split(line) if w.startswith("cookie:")]
    assert "cookie: token=$SMOKE_OUTSIDER_TOKEN" in cookies
    assert "cookie: token=$(echo not-a-jwt)" in cookies, "a bad token made by the shell"
    assert "cookie: token=" in cookies and not any("***" in line for line in lines), lines


def _login_answers(status: int) -> type[JsonHandler]:
    class Gateway(JsonHandler):
        """A login that sets no cookie (a body without a token, or a 500), every other path
        healthy or refused without a token."""

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            if self.path.startswith("/api/health"):
                self.send_json(200, {"status": "ok", "services": {}})
            elif self.path == "/api/auth/login":
                self.send_json(status, {"ok": status == 200})
            else:
                self.send_json(401, {"error": "No token provided"})

        do_POST = do_GET

    return Gateway


@pytest.mark.parametrize("status", [200, 500])
def test_a_login_that_sets_no_cookie_is_worded_with_the_contracts_cookie(
        run_engine: Callable[..., RunResult], tmp_path: Path, status: int) -> None:
    """auth.login.token_cookie: sid: the login's finding names the cookie it should set, not
    a token at the body's `token`."""
    contract = tmp_path / "sid.yaml"
    contract.write_text(COOKIE_CONTRACT.read_text().replace('"cookie:token"', '"cookie:sid"')
                        .replace("token_cookie: token", "token_cookie: sid"))
    with serving(_login_answers(status)) as url:
        result = run_engine({"target_url": url, "contract": str(contract),
                             "suite": [["rest"]]},
                            env={"SMOKE_USERNAME": "smoke", "SMOKE_PASSWORD": "smoke-password"})
    login = next(o for o in result.outcomes if o.check.kind == "login")
    assert login.outcome == "failed" and login.message is not None, login
    assert "'sid' cookie" in login.message, login.message
    assert "with a token at" not in login.message and "'token'" not in login.message, \
        login.message

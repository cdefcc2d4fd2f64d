"""Cookie auth (`auth.scheme: cookie:<name>`): every variant of the auth matrix sends a cookie
(wrong or empty), and every reproduce line pastes into a shell. The embedded stack."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from pathlib import Path

from fixtures import DEFAULT_CONTRACT
from harness.config import resolve
from harness.plan import build_plan
from tests.conftest import HarnessRun

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
    assert "cookie: ***" in cookies, "a bad token is masked as a whole value"

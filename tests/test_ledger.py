"""The request ledger: the history knows what this machine sent to a target per path; a
contract's declared limit (one the gateway does not announce) is shared by every run within
its window, so runs that each fit never add up to a 429."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from harness.config import resolve
from harness.plan import build_plan
from harness.stacks.reference import ReferenceStack
from tests.conftest import HarnessRun
from tests.test_contract_keys import contract_file


def _logins(stack: ReferenceStack) -> dict[str, str]:
    settings = stack.settings
    return {"SMOKE_USERNAME": settings.username, "SMOKE_PASSWORD": settings.password,
            "SMOKE_PEER_USERNAME": settings.peer_username,
            "SMOKE_PEER_PASSWORD": settings.peer_password,
            "SMOKE_OUTSIDER_USERNAME": settings.outsider_username,
            "SMOKE_OUTSIDER_PASSWORD": settings.outsider_password}


def _api_requests(contract: str) -> int:
    """What one full run plans under /api (with a login, a peer and an outsider)."""
    env = {"SMOKE_USERNAME": "u", "SMOKE_PASSWORD": "p", "SMOKE_PEER_USERNAME": "u2",
           "SMOKE_PEER_PASSWORD": "p", "SMOKE_OUTSIDER_USERNAME": "u3",
           "SMOKE_OUTSIDER_PASSWORD": "p"}
    plan = build_plan(resolve({"target_url": "http://127.0.0.1:9", "contract": contract}, env))
    return sum(1 for request in plan.http if request.path.startswith("/api"))


def _rate_limited(run: HarnessRun) -> list[str]:
    assert run.report is not None, run.output
    return [check["id"] for check in run.report["checks"] if check["cause"] == "rate-limited"]


def test_a_second_run_shrinks_to_what_the_first_left(
        tmp_path: Path, run_harness: Callable[..., HarnessRun],
        reference_stack: Callable[..., ReferenceStack]) -> None:
    """The messaging service allows one run and a half per 15 minutes and says so in no
    header; the contract declares it. The second run fits what is left (and says so), and no
    request of either gets a 429; a run that forgets the ledger (another history) does."""
    probe = contract_file(tmp_path, {}, name="probe.yaml")
    limit = _api_requests(probe) * 3 // 2
    contract = contract_file(tmp_path, {"rate_limits": [
        {"prefix": "/api", "limit": limit, "window_s": 900}]})
    stack = reference_stack(rate_limit=limit)
    history = str(tmp_path / "history.sqlite")
    args = (stack.url, "--contract", contract, "--history", history, "--target-name", "svc")
    first = run_harness(*args, env=_logins(stack))
    received = stack.requests_received
    shown = run_harness(*args, "--plan", env=_logins(stack))
    assert shown.code == 0 and stack.requests_received == received, shown.output  # sent nothing
    second = run_harness(*args, env=_logins(stack))
    planned = re.search(r"checks?, (\d+) requests? \(.*\) within what the request ledger "
                        r"leaves of the contract's rate limits \(the whole plan: (\d+)\)",
                        shown.stdout)
    assert planned, shown.stdout
    assert int(planned.group(1)) < int(planned.group(2))
    assert "not tested: did not fit the contract's rate limit on /api" in shown.stdout
    assert first.code == 0, first.output
    assert "did not fit the contract's rate limit on /api" in second.stderr, second.output
    assert second.report is not None and first.report is not None
    assert second.report["requests_sent"] < first.report["requests_sent"]
    assert _rate_limited(first) == _rate_limited(second) == []
    api = [sum(count for path, count in run.report["requests_by_path"].items()  # type: ignore[index]
               if path.startswith("/api")) for run in (first, second)]
    assert sum(api) <= limit, api
    blind = run_harness(*args[:-4], "--history", str(tmp_path / "other.sqlite"),
                        env=_logins(stack))
    assert _rate_limited(blind), "the limit is real: without the ledger, 429"


def test_the_window_slides_and_prefixes_share_one_counter(tmp_path: Path) -> None:
    """What was sent more than window_s ago no longer counts; a list of prefixes is one
    counter; another target's requests are not this one's; reading creates nothing."""
    import time

    from harness.history import HistoryStore
    from harness.history.ledger import sent_under

    path = tmp_path / "history.sqlite"
    assert sent_under(path, "svc", ["/api"], 900) == 0 and not path.exists()
    store, now = HistoryStore(path), time.time()
    store.record_sent("svc", {"/api/messages": 40, "/socket.io/": 7}, at=now - 1000)
    store.record_sent("svc", {"/api/messages": 5, "/socket.io/": 2, "/api/health": 1},
                      at=now - 10)
    store.record_sent("other", {"/api/messages": 50}, at=now)
    assert sent_under(path, "svc", ["/api/messages"], 900, now) == 5
    assert sent_under(path, "svc", ["/api/messages", "/socket.io"], 900, now) == 7
    assert sent_under(path, "svc", ["/api/messages", "/socket.io"], 2000, now) == 54

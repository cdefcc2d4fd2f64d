"""A 404 to a request without a valid token, on a route the same run shows to be there (200
with the run's token), is the handler's own "not found", never `route-not-found`: without a
token it is `wrong-auth-status`, with a bad token that got past the check stopping a missing
one `auth-not-enforced`. A route that is not there stays `route-not-found`. In-process runs
against the embedded stack."""

from __future__ import annotations

from pathlib import Path

import yaml

from fixtures import DEFAULT_CONTRACT
from harness.config import resolve
from harness.engine import RunResult, run
from harness.judge.kinds import shown_key

MESSAGES = "GET /api/messages"
NO_TOKEN = f"test_rejects[{MESSAGES}-no-token]"
FORGED = f"test_rejects[{MESSAGES}-forged-signature]"


def with_query(tmp_path: Path) -> str:
    """The default contract, its GET /api/messages asking for one conversation."""
    raw = yaml.safe_load(DEFAULT_CONTRACT.read_text())
    for route in raw["protected_routes"]:
        if route["method"] == "GET" and route["path"] == "/api/messages":
            route["query"] = {"conversationId": "{conversation_id}"}
    path = tmp_path / "contract.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return str(path)


def causes(result: RunResult) -> dict[str, tuple[str | None, str]]:
    """Failed check -> (cause code, message)."""
    return {shown_key(o.check.key): (o.cause.code if o.cause else None, o.message)
            for o in result.outcomes if o.outcome == "failed"}


def engine(contract: str, *faults: str) -> RunResult:
    return run(resolve({"contract": contract, "faults": list(faults), "thorough": True},
                       env={}), say=lambda line: None)


def test_a_handler_404_without_a_token_is_a_wrong_auth_status(tmp_path: Path) -> None:
    contract = with_query(tmp_path)
    assert engine(contract).verdict == "pass"
    failed = causes(engine(contract, "messages-unchecked-404"))
    cause, message = failed[NO_TOKEN]
    assert cause == "wrong-auth-status", failed
    assert "answered 404" in message and "without checking the token" in message
    assert "route-not-found" not in {code for code, _ in failed.values()}


def test_a_handler_404_to_a_forged_token_is_auth_not_enforced(tmp_path: Path) -> None:
    failed = causes(engine(with_query(tmp_path), "jwt-decode-only"))
    assert NO_TOKEN not in failed
    assert failed[FORGED][0] == "auth-not-enforced", failed
    assert "route-not-found" not in {code for code, _ in failed.values()}


def test_a_route_that_is_not_there_is_still_not_found(tmp_path: Path) -> None:
    failed = causes(engine(with_query(tmp_path), "mount-path-dropped"))
    assert failed[NO_TOKEN][0] == "route-not-found", failed

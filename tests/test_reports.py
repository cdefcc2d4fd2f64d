"""Reports a person or CI reads: nothing secret in any of them, in any encoding; the sign-off
page and the JSON agree; the terminal fits a screen on a total failure."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import jwt

from harness.sanitize.redact import secret_forms
from harness.stacks.reference import ReferenceStack
from harness.stacks.reference.settings import ReferenceSettings
from tests.conftest import HarnessRun

PASSWORD = 'pa"ss\\<wörd>&-9'
JWT_SECRET = "jwt-secret-for-the-redaction-test-0123456789"


def _every_output(run: HarnessRun, directory: Path) -> dict[str, str]:
    texts = {"stdout": run.stdout, "stderr": run.stderr}
    for path in directory.rglob("*"):
        if path.is_file():
            texts[str(path)] = path.read_text(encoding="utf-8", errors="replace")
    return texts


def test_no_secret_reaches_any_output(run_harness: Callable[..., HarnessRun],
                                      tmp_path: Path) -> None:
    settings = replace(ReferenceSettings(), password=PASSWORD, jwt_secret=JWT_SECRET)
    out = tmp_path / "out"
    out.mkdir()
    with ReferenceStack(["auth-not-enforced", "stack-in-json"], settings=settings) as stack:
        run = run_harness(
            stack.url, "--origin", "http://localhost:3000", "-v",
            "--signoff-report", str(out / "signoff.html"), "--junitxml", str(out / "junit.xml"),
            "--alluredir", str(out / "allure"),
            env={"SMOKE_USERNAME": settings.username, "SMOKE_PASSWORD": PASSWORD,
                 "SMOKE_JWT_SECRET": JWT_SECRET})
        assert run.code == 1, run.output
    run.files[0].replace(out / "report.json")
    texts = _every_output(run, out)
    assert len(texts) > 5, texts.keys()
    forms = secret_forms(PASSWORD) | secret_forms(JWT_SECRET)
    for name, text in texts.items():
        for form in forms:
            assert form not in text, f"{form!r} in {name}"
        for candidate in text.split():
            token = candidate.strip("'\",;()[]{}")
            if token.count(".") == 2 and token.startswith("eyJ"):
                try:
                    jwt.decode(token, JWT_SECRET, algorithms=["HS256"])
                except jwt.PyJWTError:
                    continue
                raise AssertionError(f"a valid token in {name}")


def test_total_failure_fits_a_screen(run_harness: Callable[..., HarnessRun]) -> None:
    run = run_harness("--fault", "port-mismatch")
    assert run.code == 1
    lines = run.stdout.strip().splitlines()
    assert len(lines) <= 40, run.stdout
    assert lines[0].startswith("Most likely: the gateway proxies messaging to")
    assert lines[-1].startswith("VERDICT: FAIL")


def test_report_lists_root_causes_blocked_and_reproductions(
        run_harness: Callable[..., HarnessRun]) -> None:
    run = run_harness("--fault", "create-never-responds", "--timeout", "2")
    assert run.report is not None
    root = run.report["root_causes"][0]
    assert root["cause"] == "no-response" and root["blocked"] >= 1
    blocked = [c for c in run.report["checks"] if c["outcome"] == "blocked"]
    assert blocked and all(c["blocked_by"] in root["checks"] for c in blocked)
    failed = [c for c in run.report["checks"] if c["outcome"] == "failed"]
    assert all(c["reproduce"].startswith("curl ") for c in failed)
    assert all("$SMOKE_TOKEN" in c["reproduce"] for c in failed if "valid" in c["evidence"]
               or "create" in c["evidence"])
    assert all(isinstance(c["latency_ms"], int) for c in failed)
    json.dumps(run.report)


def test_a_reproduce_line_sends_the_body_that_was_sent(
        run_harness: Callable[..., HarnessRun]) -> None:
    """The create's body names the peer as `{peer_id}` in the contract; its reproduce line
    carries the id that went out, so that pasting it sends the same request."""
    run = run_harness("--fault", "create-never-responds", "--timeout", "1")
    assert run.report is not None, run.output
    create = next(check for check in run.report["checks"]
                  if check["id"].endswith("test_create_conversation[POST /api/conversations]"))
    assert create["outcome"] == "failed" and "--data-binary" in create["reproduce"], create
    assert "{peer_id}" not in create["reproduce"], create["reproduce"]
    assert '"participants": ["' in create["reproduce"], create["reproduce"]

"""Reports for CI and sign-off: JUnit, Allure, the sign-off page, redaction, xdist parity."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import httpx
import pytest

from harness.sanitize.redact import MASK

FAULT = "notifications-unavailable"


@pytest.fixture(scope="module")
def faulty_run(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest):
    """One faulty run writing every report kind (shared by the tests below)."""
    out = tmp_path_factory.mktemp("reports")
    run_harness = request.getfixturevalue("run_harness")
    run = run_harness("--fault", FAULT, "--", f"--junitxml={out / 'junit.xml'}",
                      f"--alluredir={out / 'allure'}", f"--signoff-report={out / 'signoff.html'}")
    assert run.code == 1, run.output
    return run, out


@pytest.fixture(scope="module")
def run_harness(tmp_path_factory: pytest.TempPathFactory):
    from tests.conftest import make_runner

    return make_runner(tmp_path_factory.mktemp("runs"))


def test_junit_failures_carry_cause_and_diagnosis(faulty_run) -> None:
    run, out = faulty_run
    cases = list(ET.parse(out / "junit.xml").iter("testcase"))
    failures = [case.find("failure") for case in cases if case.find("failure") is not None]
    assert len(failures) == len(run.failed) > 0
    for failure in failures:
        message = failure.get("message", "")
        assert message.startswith("[generic-503-leak] ")
        assert "should answer" in message and "next step:" in message


def test_allure_results_are_labelled_and_failures_attached(faulty_run) -> None:
    run, out = faulty_run
    results = [json.loads(p.read_text()) for p in (out / "allure").glob("*-result.json")]
    assert len(results) == len(run.report["checks"])
    for result in results:
        labels = {label["name"]: label["value"] for label in result["labels"]}
        assert labels["epic"] == "messaging-platform"
        assert labels["feature"] in ("rest", "socket", "health")
        assert labels["story"] and labels["severity"]
    failed = [r for r in results if r["status"] == "failed"]
    assert len(failed) == len(run.failed)
    for result in failed:
        tags = {label["value"] for label in result["labels"] if label["name"] == "tag"}
        assert "generic-503-leak" in tags
        names = {attachment["name"] for attachment in result["attachments"]}
        assert {"diagnosis", "request and response (redacted)"} <= names
    environment = (out / "allure" / "environment.properties").read_text()
    assert "contract=messaging-platform" in environment
    assert re.search(r"^version=\d", environment, re.MULTILINE)
    assert "verdict=fail" in environment


def test_signoff_page_has_verdict_checks_and_findings(faulty_run) -> None:
    run, out = faulty_run
    page = (out / "signoff.html").read_text()
    assert "<span class='verdict fail'>FAIL</span>" in page
    assert run.report["target"].split(" ")[0] in page
    assert page.count("<tr><td class=id>") == len(run.report["checks"])
    assert "generic-503-leak" in page and "Next step:" in page
    assert "<script" not in page and "http-equiv" not in page


def test_signoff_markdown_for_md_files(run_harness, tmp_path: Path) -> None:
    run = run_harness("--suite", "health", "--", f"--signoff-report={tmp_path / 'signoff.md'}")
    assert run.code == 0, run.output
    text = (tmp_path / "signoff.md").read_text()
    assert "**Verdict: PASS**" in text and "| Check | Outcome | Cause | Message |" in text


def test_no_secret_reaches_any_output(reference_stack, run_harness, tmp_path: Path) -> None:
    stack = reference_stack()
    settings = stack.settings
    token = httpx.post(f"{stack.url}/api/auth/login", timeout=5, json={
        "username": settings.username, "password": settings.password}).json()["token"]
    env = {"SMOKE_USERNAME": settings.username, "SMOKE_PASSWORD": settings.password,
           "SMOKE_JWT_SECRET": settings.jwt_secret, "SMOKE_TOKEN": token}
    outputs = tmp_path / "outputs"
    run = run_harness(
        stack.url, "--expect-service", f"messaging={stack.messaging_url}", "--",
        f"--junitxml={outputs / 'junit.xml'}", f"--alluredir={outputs / 'allure'}",
        f"--signoff-report={outputs / 'signoff.html'}", f"--log-file={outputs / 'run.log'}",
        "--log-file-level=DEBUG", "-rA", "--tb=long", env=env)
    assert run.code == 0, run.output
    texts = {"stdout": run.stdout, "stderr": run.stderr}
    texts.update({str(p): p.read_text(errors="replace")
                  for p in [*run.files, *outputs.rglob("*")] if p.is_file()})
    assert len(texts) > 10
    for secret in (settings.password, settings.jwt_secret, token):
        leaked = [name for name, text in texts.items() if secret in text]
        assert not leaked, f"a secret leaked into {leaked}"
    assert any(MASK in text for text in texts.values())


def _comparable(report: dict) -> dict[str, tuple]:
    def untimed(text: str) -> str:
        return re.sub(r"\[\d+ ms\]|\d+(\.\d+)? ?(ms|s)\b", "<t>", text)

    return {c["id"]: (c["suite"], c["outcome"], c["cause"], untimed(c["message"]))
            for c in report["checks"]}


@pytest.mark.parametrize("faults", [(), (FAULT,)], ids=["healthy", FAULT])
def test_xdist_gives_the_same_report_as_a_serial_run(run_harness, faults: tuple[str, ...]) -> None:
    fault_args = [arg for fault in faults for arg in ("--fault", fault)]
    serial = run_harness(*fault_args)
    parallel = run_harness(*fault_args, "--", "-n", "2")
    assert serial.code == parallel.code
    assert serial.report["verdict"] == parallel.report["verdict"]
    assert _comparable(serial.report) == _comparable(parallel.report)

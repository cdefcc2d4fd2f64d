"""Every renderer reads the one report document of a real run (the embedded stack with many
faults, a passing run with a baseline): its schema, the terminal, the sign-off page and its
Markdown twin, JUnit, Allure and the GitHub job summary say the same facts."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from allure_commons import model2

from harness.reports.schema import report_schema, validate_report
from harness.reports.terminal import render
from tests.conftest import HarnessRun, make_runner

ROOT = Path(__file__).resolve().parents[1]
FAULTS = ("stale-service-map", "auth-not-enforced", "socketio-auth-not-enforced",
          "stack-trace-on-bad-json", "slow-health", "dual-upgrade", "double-emit")
SEVERITY_ORDER = ("security", "availability", "correctness", "drift")
SOCKET_OWN_STEP = {"test_upgrade_from_polling": "upgrade",
                   "test_connect_refused[no-token]": "connect no-token",
                   "test_connect_refused[forged-token]": "connect forged-token",
                   "test_outsider_stays_out": "outsider join"}


@pytest.fixture(scope="module")
def runner(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., HarnessRun]:
    return make_runner(tmp_path_factory.mktemp("renderers"))


@pytest.fixture(scope="module")
def many(runner: Callable[..., HarnessRun], tmp_path_factory: pytest.TempPathFactory,
         ) -> tuple[HarnessRun, Path]:
    """A many-fault run with every output: sign-off page and twin, JUnit, Allure (with a
    previous report's history), the GitHub job summary."""
    out = tmp_path_factory.mktemp("many")
    previous = out / "allure-report" / "history"
    previous.mkdir(parents=True)
    (previous / "history-trend.json").write_text(json.dumps(
        [{"buildOrder": 7, "reportName": "r", "data": {"failed": 1, "total": 1}}]))
    faults = [word for fault in FAULTS for word in ("--fault", fault)]
    run = runner(*faults, "--signoff-report", str(out / "signoff.html"),
                 "--junitxml", str(out / "junit.xml"), "--alluredir", str(out / "allure"),
                 "--allure-history", str(out / "allure-report"),
                 "--history", str(out / "history.sqlite"),
                 env={"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(out / "summary.md")})
    assert run.code == 1, run.output
    runner(*faults, "--signoff-report", str(out / "signoff.md"), "--history",
           str(out / "other.sqlite"))
    return run, out


@pytest.fixture(scope="module")
def doc(many: tuple[HarnessRun, Path]) -> dict[str, Any]:
    assert many[0].report is not None
    return many[0].report


def test_the_committed_report_schema_is_the_models() -> None:
    committed = json.loads((ROOT / "fixtures" / "report.schema.json").read_text())
    assert committed == report_schema(), (
        "regenerate: python -m harness schema --report > fixtures/report.schema.json")


def test_real_documents_follow_the_schema(doc: dict[str, Any], closed_port: Callable[[], int],
                                          runner: Callable[..., HarnessRun]) -> None:
    validate_report(doc)
    unreachable = runner(f"http://127.0.0.1:{closed_port()}", "--no-history")
    assert unreachable.code == 2 and unreachable.report is not None
    validate_report(unreachable.report)
    broken = json.loads(json.dumps(doc))
    broken["checks"][0]["latency"] = 3
    with pytest.raises(ValueError):
        validate_report(broken)


def test_socket_checks_carry_their_own_step(doc: dict[str, Any]) -> None:
    checks = {c["id"].split("::", 1)[1]: c for c in doc["checks"]}
    for name, step in SOCKET_OWN_STEP.items():
        check = next(c for key, c in checks.items() if key.startswith(name))
        own = [s for s in check["steps"] if s["label"].endswith(f": {step}")]
        assert own, check["steps"]
        assert check["latency_ms"] == own[-1]["end_ms"] - own[-1]["start_ms"] or \
            abs(check["latency_ms"] - (own[-1]["end_ms"] - own[-1]["start_ms"])) <= 1, check
    socket = [c["latency_ms"] for c in doc["checks"] if c["suite"] == "socket"
              and c["latency_ms"] is not None]
    assert len(set(socket)) > 3, socket  # not one session's time for all


def test_every_failed_check_has_severity_budget_and_steps(doc: dict[str, Any]) -> None:
    failed = [c for c in doc["checks"] if c["outcome"] == "failed"]
    assert failed and all(c["severity"] in SEVERITY_ORDER for c in failed)
    slow = [c for c in doc["checks"] if c["cause"] == "slow-response"]
    assert slow and all(c["slow"] and c["latency_ms"] > c["budget_ms"] for c in slow)
    assert all(c["steps"] for c in failed)
    assert doc["run"]["contract_file"] == "fixtures/contract.default.yaml (bundled)"
    assert doc["run"]["command"].startswith("python -m harness --report-json ")
    assert "--fault auth-not-enforced" in doc["run"]["command"]
    port = re.search(r":(\d+)", doc["target"])
    assert port and f"--port {port.group(1)}" in doc["stack"]["bring_back"]


def test_step_exchanges_show_bodies_of_failures_only_never_of_other_users_objects(
        doc: dict[str, Any]) -> None:
    exchanges = {c["id"]: [s["exchange"] for s in c["steps"] if s["exchange"]]
                 for c in doc["checks"]}
    quiet = [c for c in doc["checks"] if c["outcome"] == "passed" or c["cause"] ==
             "object-access-not-enforced"]
    assert any(c["cause"] == "object-access-not-enforced" for c in quiet)
    for check in quiet:
        for text in exchanges[check["id"]]:
            assert "smoke-realtime-" not in text and '"text"' not in text, check["id"]
    leaked = next(c for c in doc["checks"] if c["cause"] == "stack-trace-leak")
    assert any("Traceback" in text or "at " in text for text in exchanges[leaked["id"]])


def test_terminal_reads_the_document(doc: dict[str, Any]) -> None:
    text = render(doc)
    positions = [text.index(f". {root['cause']} (") for root in doc["root_causes"]]
    assert positions == sorted(positions)
    assert text.splitlines()[-1].startswith("VERDICT: FAIL")


def _cards(page: str) -> list[tuple[str, str]]:
    return re.findall(r'<div class="cause sev-(\w+)">\s*<h3><span class="rank">#\d+</span> '
                      r'<code>([a-z0-9-]+)</code>', page)


def test_signoff_page_reads_the_document(doc: dict[str, Any],
                                         many: tuple[HarnessRun, Path]) -> None:
    page = (many[1] / "signoff.html").read_text()
    cards = _cards(page)
    assert [cause for _, cause in cards] == [r["cause"] for r in doc["root_causes"]]
    assert [sev for sev, _ in cards] == [r["severity"] for r in doc["root_causes"]]
    counts = {sev: sum(1 for s, _ in cards if s == sev) for sev, _ in cards}
    for severity, n in counts.items():
        assert f'<span class="sev {severity}">{n} {severity}</span>' in page
    sections = page.split('<div class="cause ')[1:]
    assert len(sections) == len(cards)
    assert all("<b>Reproduce:</b>" in section for section in sections)
    assert all("python -m harness.stacks.reference --port" in s for s in sections)
    assert not re.search(r"blocked by (<code[^>]*>[^<]*</code>) blocked by \1", page)
    assert "blocked by test_upgrade_from_polling[websocket] blocked by" not in page
    assert "[&#39;" not in page and "faults [" not in page
    assert "fixtures/contract.default.yaml (bundled)" in page
    assert 'id="history"' in page and "(this run)" in page
    assert page.count('class="budget"') == len([c for c in doc["checks"]
                                                 if c["latency_ms"] is not None])


def test_markdown_twin_says_the_same(many: tuple[HarnessRun, Path]) -> None:
    text = (many[1] / "signoff.md").read_text()
    headings = re.findall(r"^### \d+\. `([a-z0-9-]+)` \((\w+)\)", text, re.M)
    assert len(headings) >= 7
    assert [sev for _, sev in headings] == sorted(
        [sev for _, sev in headings], key=lambda s: SEVERITY_ORDER.index(s)) or \
        headings[0][1] == "availability"  # an outage that explains others leads
    assert text.count("**Reproduce:**") == len(headings)
    assert "root causes: " in text and "## Run history" in text
    assert "python -m harness.stacks.reference --port" in text


def test_junit_time_is_the_probe_latency_with_properties(
        doc: dict[str, Any], many: tuple[HarnessRun, Path]) -> None:
    by_name = {c["id"].split("::", 1)[1]: c for c in doc["checks"]}
    cases = ET.parse(many[1] / "junit.xml").getroot().iter("testcase")
    seen = 0
    for case in cases:
        check = by_name.get(case.get("name", ""))
        if check is None:
            continue
        seen += 1
        assert float(case.get("time", "-1")) == pytest.approx((check["latency_ms"] or 0) / 1000,
                                                              abs=0.0015), case.get("name")
        props = {p.get("name"): p.get("value") for p in case.iter("property")}
        if check["cause"]:
            assert props["cause"] == check["cause"]
            assert props["severity"] == check["severity"]
        if check["latency_ms"] is not None:
            assert props["latency_ms"] == str(check["latency_ms"])
    assert seen == len(doc["checks"])


def _allure_results(directory: Path) -> list[dict[str, Any]]:
    return [json.loads(path.read_text()) for path in directory.glob("*-result.json")]


def _valid_step(step: dict[str, Any], directory: Path) -> None:
    model2.TestStepResult(**{k: v for k, v in step.items() if k not in ("steps", "attachments")})
    assert step["status"] in (model2.Status.PASSED, model2.Status.FAILED)
    assert step["start"] <= step["stop"]
    for attachment in step["attachments"]:
        assert (directory / attachment["source"]).is_file()


def test_allure_results_have_real_times_steps_and_categories(
        doc: dict[str, Any], many: tuple[HarnessRun, Path]) -> None:
    directory = many[1] / "allure"
    results = _allure_results(directory)
    assert len(results) == len(doc["checks"]) + 1  # and smoke-harness::run
    started = doc["clock_epoch_ms"]
    by_name = {r["fullName"]: r for r in results}
    for check in doc["checks"]:
        result = by_name[check["id"]]
        model2.TestResult(**{k: v for k, v in result.items() if k not in ("steps", "attachments")})
        assert started - 60_000 <= result["start"] <= result["stop"] <= started + 600_000
        assert not result.get("statusDetails", {}).get("message", "").startswith("harness.")
        for step in result["steps"]:
            _valid_step(step, directory)
        labels = {label["name"]: label["value"] for label in result["labels"]}
        if check["outcome"] == "failed":
            assert result["status"] == "failed"
            assert [s["status"] for s in result["steps"]].count("failed") == 1
            assert labels["severity"] == {"security": "blocker", "availability": "critical",
                                          "correctness": "normal",
                                          "drift": "minor"}[check["severity"]]
            assert result["statusDetails"]["trace"].startswith(f"cause: {check['cause']} (")
        if check["outcome"] == "not-tested":
            assert result["statusDetails"]["message"].startswith("not tested: ")
        if check["latency_ms"] and len(result["steps"]) == 1:
            step = result["steps"][0]
            assert abs(step["stop"] - step["start"] - check["latency_ms"]) <= 2
    timed = [r for r in results if r["stop"] > r["start"]]
    assert len(timed) > len(results) / 2
    categories = json.loads((directory / "categories.json").read_text())
    names = {c["name"] for c in categories}
    assert {f"{r['cause']} ({r['severity']})" for r in doc["root_causes"]} <= names
    assert "not tested" in names
    for root in doc["root_causes"]:
        category = next(c for c in categories if c["name"].startswith(f"{root['cause']} ("))
        failing = [by_name[cid] for cid in root["checks"]]
        assert all(re.fullmatch(category["traceRegex"], r["statusDetails"]["trace"],
                                re.DOTALL) for r in failing)
    executor = json.loads((directory / "executor.json").read_text())
    assert executor["buildOrder"] == 8  # one after the carried history's last
    assert (directory / "history" / "history-trend.json").is_file()
    properties = (directory / "environment.properties").read_text()
    assert "contract=messaging-platform" in properties and "verdict=fail" in properties


def test_github_summary_reads_the_document(doc: dict[str, Any],
                                           many: tuple[HarnessRun, Path]) -> None:
    summary = (many[1] / "summary.md").read_text()
    for root in doc["root_causes"]:
        assert re.search(rf"\| `{re.escape(root['cause'])}` \| {root['severity']} \|", summary)
    assert summary.count("`curl ") + summary.count("`python -m harness probe") >= \
        len(doc["root_causes"])
    assert "Over their latency budget in this run" in summary
    assert "root causes: " in summary


def test_passing_run_with_a_baseline_compares_latency_by_check_id(
        runner: Callable[..., HarnessRun], tmp_path: Path) -> None:
    history = str(tmp_path / "history.sqlite")
    first = runner("--history", history)
    second = runner("--history", history, "--baseline", "last",
                    "--signoff-report", str(tmp_path / "signoff.html"))
    assert first.code == second.code == 0, second.output
    assert first.report and second.report and first.report["target"] != second.report["target"]
    baseline = second.report["baseline"]
    assert baseline["previous_target_key"] == "embedded"
    assert len(baseline["latency"]) >= 30
    assert all(c["change_ms"] == c["now_ms"] - c["before_ms"] for c in baseline["latency"])
    page = (tmp_path / "signoff.html").read_text()
    assert "which ran against a different target" not in page
    assert "Latency since then" in page
    assert len(second.report["history"]["runs"]) == 2


def test_allure_history_needs_alluredir(runner: Callable[..., HarnessRun]) -> None:
    run = runner("--allure-history", "allure-report")
    assert run.code == 2 and "Traceback" not in run.output
    assert "--allure-history allure-report" in run.stderr and "--alluredir" in run.stderr

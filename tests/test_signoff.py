"""The sign-off page renders from the JSON report document: sections, order, escaping, baseline."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest

from harness.reports.baseline import compare, load_baseline
from harness.reports.latency_svg import latency_chart
from harness.reports.signoff import counts_line, md_code, md_text, render_signoff, write_signoff

REST = "suites/rest/test_auth.py::test_rejects"
SOCKET = "suites/socket/test_socketio.py"
HEALTH = "suites/health/test_health.py"
LOGIN = "suites/rest/test_login.py::test_login"


def check(cid: str, outcome: str = "passed", latency: float | None = 40, **extra) -> dict:
    suite = cid.split("/")[1]
    return {"id": cid, "suite": suite, "outcome": outcome, "cause": None, "blocked_by": None,
            "message": "", "evidence": "", "reproduce": "", "latency_ms": latency, **extra}


def base_doc(verdict: str, checks: list[dict], **extra) -> dict:
    return {
        "verdict": verdict, "target": "https://298fb9b8181e.ngrok-free.app",
        "started_at": "2026-11-27T03:00:00+00:00", "duration_s": 1.9,
        "requests_sent": len(checks), "requests_by_suite": {"rest": 15, "socket": 4, "health": 4},
        "rate_limit": {"limit": 100, "remaining_before": 80, "remaining_after": 57,
                       "reset_s": 840},
        "root_causes": [], "not_tested": [], "known_issues": [], "checks": checks,
        "run": {"harness_version": "0.2.0", "contract": "messaging-platform",
                "contract_file": "fixtures/contract.default.yaml",
                "contract_sha256": "9f2c" * 16, "credentials": "token",
                "options": {"--read-only": True, "--timeout": 5, "--sequential": False},
                "ci": {"provider": "github", "job": "smoke", "run": "4211",
                       "url": "https://github.com/acme/platform/actions/runs/4211"}},
        "notes": [], **extra,
    }


def passing_doc() -> dict:
    routes = ["GET /api/conversations", "POST /api/messages", "GET /api/notifications"]
    checks = [check(f"{REST}[{r}-no-token]", latency=30 + i * 7) for i, r in enumerate(routes)]
    checks += [check(f"{HEALTH}::test_health", latency=12),
               check(f"{SOCKET}::test_handshake", latency=85)]
    return base_doc("pass", checks)


def failing_doc() -> dict:
    """The port-mismatch run: one root cause blocking the login-dependent checks."""
    checks = [
        check(LOGIN, "failed", 5004, cause="upstream-unreachable",
              message="POST /api/auth/login answered 504 'Error occurred while trying to proxy'",
              evidence="504 text/plain 'Error occurred while trying to proxy: "
                       "127.0.0.1:5005/api/auth/login'",
              reproduce="curl -sS -X POST -H 'ngrok-skip-browser-warning: 1' "
                        "https://298fb9b8181e.ngrok-free.app/api/auth/login"),
        check(f"{HEALTH}::test_aggregate", "failed", 212, cause="aggregate-unhealthy",
              message="aggregate health: messaging not ok: connect ECONNREFUSED 127.0.0.1:5005",
              evidence='503 {"ok":false,"services":{"messaging":{"ok":false}}}',
              reproduce="curl -sS https://298fb9b8181e.ngrok-free.app/api/health/aggregate"),
        check(f"{REST}[GET /api/conversations-stack]", "failed", 48, cause="stack-trace-leak",
              message="body carries a stack trace <script>alert(1)</script>",
              evidence='"stack":"SyntaxError: Unexpected token at parse (/app/node_modules/..."'),
        check(f"{HEALTH}::test_health", latency=15),
        check(f"{REST}[GET /api/conversations-no-token]", latency=37),
        check(f"{REST}[POST /api/messages-no-token]", latency=41),
    ]
    blocked = ["test_create_conversation", "test_post_message", "test_list_messages"]
    checks += [check(f"suites/rest/test_crud.py::{name}", "blocked", None, blocked_by=LOGIN,
                     message="needs a token; the login failed") for name in blocked]
    checks.append(check(f"{SOCKET}::test_message_event", "blocked", None, blocked_by=LOGIN))
    return base_doc("fail", checks, root_causes=[
        {"cause": "upstream-unreachable", "rank": 3,
         "summary": "the gateway proxies messaging to http://127.0.0.1:5005 but nothing answers "
                    "there; the service may be on another port (health says :5005; expected "
                    ":3005)",
         "evidence": "POST /api/auth/login -> 504 'Error occurred while trying to proxy'",
         "next_step": "start messaging on :5005 or point the gateway at :3005",
         "checks": [LOGIN, f"{HEALTH}::test_aggregate"], "blocked": 4},
        {"cause": "stack-trace-leak", "rank": 12, "summary": "an error answer carries a stack",
         "evidence": "SyntaxError at parse (/app/node_modules/body-parser)",
         "next_step": "add a JSON error handler without internals",
         "checks": [f"{REST}[GET /api/conversations-stack]"], "blocked": 0},
    ], known_issues=[
        {"check": f"{REST}[POST /api/messages-no-token]", "reason": "answers 403 by design",
         "link": "https://tracker.example.com/PLAT-12", "status": "fixed"},
    ])


def inconclusive_doc() -> dict:
    checks = [check(f"{HEALTH}::test_health", latency=20),
              check(f"{REST}[GET /api/conversations-no-token]", latency=33)]
    untested = [f"suites/rest/test_crud.py::test_{n}" for n in ("create", "list", "post")]
    checks += [check(cid, "not-tested", None) for cid in untested]
    doc = base_doc("inconclusive", checks,
                   not_tested=[{"check": cid, "reason": "no credentials"} for cid in untested])
    doc["run"]["credentials"] = "none"
    return doc


def error_doc() -> dict:
    doc = base_doc("error", [], error="target-unreachable: DNS lookup failed for nope.invalid",
                   rate_limit=None)
    doc["run"]["ci"] = None
    return doc


SAMPLES = {"pass": passing_doc, "fail": failing_doc, "inconclusive": inconclusive_doc,
           "error": error_doc}


@pytest.mark.parametrize("verdict", sorted(SAMPLES))
@pytest.mark.parametrize("suffix", [".html", ".md"])
def test_every_verdict_renders_with_sections_in_order(tmp_path: Path, verdict: str,
                                                      suffix: str) -> None:
    path = tmp_path / f"signoff{suffix}"
    write_signoff(path, SAMPLES[verdict]())
    text = path.read_text(encoding="utf-8")
    assert verdict.upper() in text
    headings = ["Root causes", "Not tested", "How this run was made", "Latency", "Every check",
                "Approval"]
    marker = r"^## " if suffix == ".md" else r"<h2[^>]*>"
    positions = [re.search(marker + heading, text, re.M).start() for heading in headings]
    assert positions == sorted(positions), text
    assert "Approved by" in text and "Signature" in text
    assert "fixtures/contract.default.yaml" in text and "9f2c9f2c" in text


def test_html_is_self_contained_and_autoescaped() -> None:
    page = render_signoff(failing_doc())
    assert "<script" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert not re.search(r"<(link|img|iframe|object)\b|\bsrc=|@import|url\(", page)


def test_markdown_escapes_interpolated_text() -> None:
    page = render_signoff(failing_doc(), markdown=True)
    assert "<script>" not in page and r"\<script\>" in page
    assert md_text("| # a *b*") == r"\| # a \*b\*" and md_text("# x") == r"\# x"
    assert md_code("a`b|c", in_table=True) == "``a`b\\|c``"


def test_failing_page_names_root_causes_first_with_blocked_checks() -> None:
    page = render_signoff(failing_doc())
    first, second = page.index("upstream-unreachable"), page.index("stack-trace-leak")
    assert first < second < page.index('id="checks"')
    assert "+4 blocked" in page and "test_create_conversation" in page
    assert "health says :5005; expected :3005" in page
    assert "Next step:" in page and "start messaging on :5005" in page
    assert "fixed? remove it from known_issues" in page
    assert 'href="https://tracker.example.com/PLAT-12"' in page
    assert 'href="https://github.com/acme/platform/actions/runs/4211"' in page
    assert "80 of 100 left before the run, 57 after" in page


def test_counts_line_and_not_tested_reasons() -> None:
    doc = inconclusive_doc()
    assert counts_line(doc) == "2 of 5 checks passed; 3 not tested: no credentials"
    page = render_signoff(doc)
    assert "no credentials" in page and "test_create" in page
    assert "none: checks that need a token were not tested" in page
    assert counts_line(failing_doc()) == "3 of 10 checks passed; 3 failed; 4 blocked"


def test_error_page_shows_the_error_and_no_ci() -> None:
    page = render_signoff(error_doc())
    assert "DNS lookup failed for nope.invalid" in page
    assert "none (run outside CI)" in page and "No check recorded a latency." in page


def test_unsafe_links_are_not_linked() -> None:
    doc = failing_doc()
    doc["known_issues"][0]["link"] = "javascript:alert(1)"
    assert 'href="javascript' not in render_signoff(doc)


def test_latency_chart_has_one_bar_per_timed_check_with_escaped_labels() -> None:
    doc = failing_doc()
    svg = latency_chart(doc["checks"])
    timed = [c for c in doc["checks"] if c["latency_ms"] is not None]
    assert svg.startswith("<svg") and svg.count('<g class="bar') == len(timed) == 6
    assert "<script" not in svg
    hostile = check(f"{REST}[<b>&\"x]", latency=3)
    assert "[&lt;b&gt;&amp;&quot;x]" in latency_chart([hostile])
    labels = re.findall(r'text-anchor="end" fill="#1f2328">([^<]+)<', svg)
    assert labels[0] == "test_login" and len(labels) == 6
    assert latency_chart([check(f"{HEALTH}::x", latency=None)]) == ""


def test_latency_chart_marks_budgets_and_colours_slowness_apart_from_failure() -> None:
    fast_failure = {**check(f"{HEALTH}::test_service_map", latency=1503, outcome="failed"),
                    "budget_ms": 5000}
    slow_pass = {**check(f"{HEALTH}::test_health", latency=1503), "budget_ms": 1000}
    svg = latency_chart([fast_failure, slow_pass])
    bars = dict(re.findall(r'<g class="bar ([a-z -]+)"><title>[^<]*::(test_\w+)', svg))
    assert bars == {"failed": "test_service_map", "passed slow": "test_health"}
    fills = re.findall(r'<rect x="380" y="[\d.]+" width="[\d.]+" height="12" rx="2" '
                       r'fill="(#\w+)"', svg)
    assert fills == ["#e16f24", "#54aeff"]  # test_health over its budget; the failure within
    assert svg.count('class="budget"') == 2 and "1503 ms slow" in svg


def test_baseline_diff() -> None:
    before = failing_doc()
    now = copy.deepcopy(before)
    by_id = {c["id"]: c for c in now["checks"]}
    by_id[LOGIN]["outcome"] = "passed"
    by_id[f"{HEALTH}::test_health"]["outcome"] = "failed"
    by_id[f"{REST}[GET /api/conversations-stack]"]["outcome"] = "blocked"
    diff = compare(now, before)
    assert diff.fixed == [LOGIN]
    assert diff.newly_failing == [f"{HEALTH}::test_health"]
    assert diff.still_failing == [f"{HEALTH}::test_aggregate"]
    assert diff.unverified == [f"{REST}[GET /api/conversations-stack]"]
    assert diff.previous_verdict == "fail"
    page = render_signoff(now, before)
    changes = page.index("Changes since the previous sign-off")
    assert page.index("Root causes") < changes < page.index("Every check")
    assert "Newly failing (1)" in page and "Fixed (1)" in page and "Still failing (1)" in page
    assert "Changes since" not in render_signoff(now)
    assert "Newly failing (1)" in render_signoff(now, before, markdown=True)


def test_load_baseline(tmp_path: Path) -> None:
    good = tmp_path / "smoke.json"
    good.write_text(json.dumps(failing_doc()))
    assert load_baseline(good)["verdict"] == "fail"
    for name, content in [("junit.xml", "<testsuite/>"), ("list.json", "[1]"),
                          ("nochecks.json", '{"verdict": "pass"}')]:
        (tmp_path / name).write_text(content)
        with pytest.raises(ValueError, match="not a"):
            load_baseline(tmp_path / name)
    with pytest.raises(ValueError, match="cannot read"):
        load_baseline(tmp_path / "missing.json")

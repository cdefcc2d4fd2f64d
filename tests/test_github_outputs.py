"""CI outputs: GitHub annotations (escaped), the job summary, and the `run.ci` context."""

from __future__ import annotations

import io
from pathlib import Path

from harness.reports.github import (
    ci_context,
    escape_data,
    escape_property,
    job_summary,
    write_github_outputs,
)
from tests.test_signoff import error_doc, failing_doc, inconclusive_doc, passing_doc


def github_env(tmp_path: Path) -> dict[str, str]:
    return {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md")}


def test_nothing_outside_github_actions(tmp_path: Path) -> None:
    out = io.StringIO()
    env = {"GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md")}
    assert write_github_outputs(failing_doc(), env, stream=out) == []
    assert out.getvalue() == "" and not (tmp_path / "summary.md").exists()


def test_one_error_per_root_cause_most_important_first(tmp_path: Path) -> None:
    out = io.StringIO()
    commands = write_github_outputs(failing_doc(), github_env(tmp_path), stream=out)
    assert out.getvalue().splitlines() == commands
    assert len(commands) == 2
    assert commands[0].startswith("::error title=upstream-unreachable::the gateway proxies")
    assert "(next step: start messaging on :5005 or point the gateway at :3005)" in commands[0]
    assert commands[0].endswith("[+4 blocked]")
    assert commands[1].startswith("::error title=stack-trace-leak::")


def test_workflow_commands_are_escaped(tmp_path: Path) -> None:
    assert escape_data("100% done\r\nnext") == "100%25 done%0D%0Anext"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    doc = failing_doc()
    doc["root_causes"] = [{"cause": "odd:cause,x", "summary": "line one\nline two 50%",
                           "next_step": "fix\r\nit", "checks": [], "blocked": 0}]
    [command] = write_github_outputs(doc, github_env(tmp_path), stream=io.StringIO())
    assert command == ("::error title=odd%3Acause%2Cx::line one%0Aline two 50%25 "
                       "(next step: fix%0D%0Ait)")
    assert "\n" not in command and "\r" not in command


def test_error_and_inconclusive_without_root_causes_still_annotate(tmp_path: Path) -> None:
    env = github_env(tmp_path)
    [error] = write_github_outputs(error_doc(), env, stream=io.StringIO())
    assert error.startswith("::error title=smoke run error::target-unreachable: DNS lookup")
    [warning] = write_github_outputs(inconclusive_doc(), env, stream=io.StringIO())
    assert warning.startswith("::warning title=smoke run inconclusive::2 of 5 checks passed")
    assert write_github_outputs(passing_doc(), env, stream=io.StringIO()) == []


def test_summary_is_appended_not_overwritten(tmp_path: Path) -> None:
    env = github_env(tmp_path)
    summary = Path(env["GITHUB_STEP_SUMMARY"])
    summary.write_text("# earlier step\n", encoding="utf-8")
    write_github_outputs(failing_doc(), env, stream=io.StringIO())
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("# earlier step\n")
    assert "## Smoke run: FAIL against https://298fb9b8181e.ngrok-free.app" in text
    assert "3 of 10 checks passed; 3 failed; 4 blocked" in text
    assert text.index("upstream-unreachable") < text.index("stack-trace-leak")
    assert "2 failed, +4 blocked" in text
    assert "| failed | blocked | passed |" in text
    assert "<script>" not in text


def test_summary_lists_not_tested_with_reasons() -> None:
    text = job_summary(inconclusive_doc())
    assert "## Smoke run: INCONCLUSIVE" in text
    assert "- no credentials (3): `test_create`, `test_list`, `test_post`" in text


def test_ci_context_from_the_usual_variables() -> None:
    assert ci_context({}) is None
    assert ci_context({"CI": "false"}) is None
    github = ci_context({"GITHUB_ACTIONS": "true", "GITHUB_RUN_ID": "4211", "GITHUB_JOB": "smoke",
                         "GITHUB_SERVER_URL": "https://github.com",
                         "GITHUB_REPOSITORY": "acme/platform"})
    assert github == {"provider": "github", "job": "smoke", "run": "4211",
                      "url": "https://github.com/acme/platform/actions/runs/4211"}
    gitlab = ci_context({"GITLAB_CI": "true", "CI_JOB_ID": "77", "CI_PIPELINE_ID": "9",
                         "CI_JOB_URL": "https://gitlab.example.com/acme/-/jobs/77"})
    assert gitlab == {"provider": "gitlab", "job": "77", "run": "9",
                      "url": "https://gitlab.example.com/acme/-/jobs/77"}
    jenkins = ci_context({"BUILD_URL": "https://jenkins.example.com/job/smoke/12/",
                          "JOB_NAME": "smoke", "BUILD_NUMBER": "12"})
    assert jenkins == {"provider": "jenkins", "job": "smoke", "run": "12",
                       "url": "https://jenkins.example.com/job/smoke/12/"}
    assert ci_context({"CI": "true"}) == {"provider": "ci", "job": None, "run": None, "url": None}
    assert ci_context({"GITHUB_ACTIONS": "true", "GITHUB_JOB": "a\nb"})["job"] == "ab"


def test_a_real_run_sets_the_steps_outputs(run_harness, tmp_path: Path) -> None:
    """Later steps read `steps.smoke.outputs.verdict` and friends from $GITHUB_OUTPUT."""
    outputs = tmp_path / "github_output"
    run = run_harness("--fault", "auth-not-enforced", env={
        "GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(outputs),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md")})
    assert run.code == 1 and run.report is not None, run.output
    said = dict(line.split("=", 1) for line in outputs.read_text().splitlines())
    report = run.report
    assert said["verdict"] == "fail"
    assert said["root-causes"].split(",") == [root["cause"] for root in report["root_causes"]]
    assert said["root-causes"].startswith("auth-not-enforced")
    assert int(said["checks"]) == len(report["checks"])
    assert int(said["passed"]) == sum(c["outcome"] == "passed" for c in report["checks"])
    assert int(said["requests-sent"]) == report["requests_sent"]

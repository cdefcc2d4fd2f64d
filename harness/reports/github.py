"""CI integration: GitHub workflow annotations and job summary, and the `run.ci` context.

`write_github_outputs` does nothing outside GitHub Actions. Inside, each root cause becomes one
`::error` workflow command on stdout (a run that errored or was inconclusive without a root
cause gets one line saying why), a Markdown summary is appended to `$GITHUB_STEP_SUMMARY`,
and the step's outputs (verdict, root causes, counts) to `$GITHUB_OUTPUT`.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from collections.abc import Mapping
from typing import TextIO

from harness.reports.latency_svg import check_label, is_slow
from harness.reports.signoff import (
    OUTCOME_ORDER,
    counts_line,
    md_code,
    md_text,
    root_causes,
)
from harness.reports.terminal import severity_line

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def escape_data(text: str) -> str:
    """A workflow command's message: %, CR and LF escaped as GitHub requires."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value: the message escapes plus ':' and ','."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotations(doc: dict) -> list[str]:
    """The workflow commands for `doc`, most important root cause first."""
    commands = []
    for cause in doc.get("root_causes") or []:
        message = str(cause.get("summary") or cause.get("cause"))
        if cause.get("next_step"):
            message += f" (next step: {cause['next_step']})"
        blocked = int(cause.get("blocked") or 0)
        if blocked:
            message += f" [+{blocked} blocked]"
        commands.append(f"::error title={escape_property(str(cause.get('cause')))}::"
                        f"{escape_data(message)}")
    verdict = doc.get("verdict")
    if not commands and verdict == "error":
        commands.append("::error title=smoke run error::"
                        + escape_data(str(doc.get("error") or "the run could not check the "
                                          "target")))
    elif not commands and verdict == "inconclusive":
        commands.append("::warning title=smoke run inconclusive::"
                        + escape_data(counts_line(doc)))
    return commands


def job_summary(doc: dict) -> str:
    """The Markdown appended to the job summary: verdict, root causes, not tested, counts."""
    verdict = str(doc.get("verdict") or "error").upper()
    lines = [f"## Smoke run: {verdict} against {md_text(doc.get('target', 'unknown'))}", "",
             md_text(counts_line(doc)), ""]
    if severity_line(doc):
        lines += [md_text(severity_line(doc)), ""]
    if doc.get("error"):
        lines += [f"Error: {md_code(doc['error'])}", ""]
    causes = doc.get("root_causes") or []
    if causes:
        lines += ["| # | Cause | Severity | Summary | Next step | Checks | Reproduce |",
                  "| ---: | --- | --- | --- | --- | --- | --- |"]
        for cause in root_causes(doc):
            tally = f"{len(cause['checks'])} failed"
            if cause.get("blocked"):
                tally += f", +{cause['blocked']} blocked"
            reproduce = md_code(cause["reproduce"], in_table=True) if cause["reproduce"] else ""
            lines.append(f"| {cause['position']} | "
                         f"{md_code(cause.get('cause', ''), in_table=True)} | "
                         f"{md_text(cause['severity'])} | {md_text(cause.get('summary'))} | "
                         f"{md_text(cause.get('next_step'))} | {tally} | {reproduce} |")
        lines.append("")
        stack = doc.get("stack")
        if stack:
            lines += [f"{md_text(stack['gone'])}: {md_code(stack['bring_back'])}", ""]
    slow = [check for check in doc.get("checks") or [] if is_slow(check)]
    if slow:
        lines += ["**Over their latency budget in this run:** " + ", ".join(
            f"{md_code(check_label(c['id']))} {c['latency_ms']} ms (budget {c['budget_ms']} ms)"
            for c in slow), ""]
    untested: dict[str, list[str]] = {}
    for item in doc.get("not_tested") or []:
        untested.setdefault(str(item.get("reason") or "no reason given"), []).append(
            check_label(str(item.get("check", ""))))
    if untested:
        lines += ["**Not tested**", ""]
        for reason, ids in sorted(untested.items(), key=lambda kv: -len(kv[1])):
            shown = ", ".join(md_code(cid) for cid in ids[:10])
            more = f" and {len(ids) - 10} more" if len(ids) > 10 else ""
            lines.append(f"- {md_text(reason)} ({len(ids)}): {shown}{more}")
        lines.append("")
    counts = Counter(check.get("outcome") for check in doc.get("checks") or [])
    if counts:
        present = [o for o in OUTCOME_ORDER if counts[o]]
        lines += ["| " + " | ".join(present) + " |", "|" + " ---: |" * len(present),
                  "| " + " | ".join(str(counts[o]) for o in present) + " |", ""]
    lines += ["Every check, with its evidence and a reproduce command, is in the JSON report "
              "and the sign-off page.", ""]
    return "\n".join(lines)


def write_github_outputs(doc: dict, env: Mapping[str, str],
                         stream: TextIO | None = None) -> list[str]:
    """Print the annotations and append the job summary when `GITHUB_ACTIONS` is set.

    Returns the workflow commands printed (none outside GitHub Actions). `stream` defaults to
    sys.stdout, where the runner reads workflow commands.
    """
    if not env.get("GITHUB_ACTIONS"):
        return []
    commands = annotations(doc)
    out = stream or sys.stdout
    for command in commands:
        print(command, file=out, flush=True)
    summary_path = env.get("GITHUB_STEP_SUMMARY")
    if summary_path:
        with open(summary_path, "a", encoding="utf-8") as summary:
            summary.write(job_summary(doc))
    output_path = env.get("GITHUB_OUTPUT")
    if output_path:
        with open(output_path, "a", encoding="utf-8") as outputs:
            outputs.writelines(f"{name}={value}\n" for name, value in step_outputs(doc).items())
    return commands


def step_outputs(doc: dict) -> dict[str, str]:
    """The step's outputs for later steps (`steps.<id>.outputs.verdict`, ...): one line each,
    codes and counts only (nothing a target sent)."""
    checks = doc.get("checks") or []
    causes = [str(root.get("cause")) for root in doc.get("root_causes") or []]
    return {"verdict": str(doc.get("verdict")),
            "root-causes": ",".join(_CONTROL.sub("", cause) for cause in causes),
            "checks": str(len(checks)),
            "passed": str(sum(1 for check in checks if check.get("outcome") == "passed")),
            "requests-sent": str(doc.get("requests_sent", 0))}


def _clean(value: str | None) -> str | None:
    cleaned = _CONTROL.sub("", value or "").strip()
    return cleaned or None


def ci_context(env: Mapping[str, str]) -> dict | None:
    """{provider, job, run, url} from the usual CI variables, or None outside CI."""
    get = env.get
    if get("GITHUB_ACTIONS"):
        server, repo, run_id = get("GITHUB_SERVER_URL"), get("GITHUB_REPOSITORY"), \
            get("GITHUB_RUN_ID")
        url = f"{server}/{repo}/actions/runs/{run_id}" if server and repo and run_id else None
        found = ("github", get("GITHUB_JOB"), run_id, url)
    elif get("GITLAB_CI") or get("CI_JOB_ID"):
        found = ("gitlab", get("CI_JOB_ID"), get("CI_PIPELINE_ID"), get("CI_JOB_URL"))
    elif get("JENKINS_URL") or get("BUILD_URL"):
        found = ("jenkins", get("JOB_NAME"), get("BUILD_NUMBER"), get("BUILD_URL"))
    elif get("CIRCLECI"):
        found = ("circleci", get("CIRCLE_JOB"), get("CIRCLE_BUILD_NUM"), get("CIRCLE_BUILD_URL"))
    elif get("BUILDKITE"):
        found = ("buildkite", get("BUILDKITE_JOB_ID"), get("BUILDKITE_BUILD_NUMBER"),
                 get("BUILDKITE_BUILD_URL"))
    elif get("CI", "").lower() not in ("", "0", "false", "no"):
        found = (get("CI_NAME") or "ci", get("CI_JOB_ID") or get("JOB_ID"),
                 get("BUILD_ID") or get("BUILD_NUMBER"), get("BUILD_URL") or get("CI_JOB_URL"))
    else:
        return None
    provider, job, run, url = (_clean(value) for value in found)
    return {"provider": provider or "ci", "job": job, "run": run, "url": url}

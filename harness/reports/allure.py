"""Allure results, written from the report document (allure-results format, Allure 2).

Each check is a test result with its real start and stop (its own requests or Socket.IO
steps, epoch ms), one step per request or Socket.IO stage (its own status, the redacted
exchange attached), labels (epic = contract, feature = suite, story = case, severity from the
cause's severity, the cause as a tag), a plain message and the cause in the trace, which
`categories.json` groups by (one category per cause, and "not tested", "blocked", "known
issues"). `executor.json` and `environment.properties` fill the overview; with a history
folder (`--allure-history DIR`: a previous `allure generate` output, or its `history/`) the
Trend panel fills, as Allure's own convention of copying `allure-report/history` into
`allure-results/history` before `allure generate` does.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from harness.judge.causes import Cause

SEVERITY = {"security": "blocker", "availability": "critical", "correctness": "normal",
            "drift": "minor"}
STATUS = {"passed": "passed", "failed": "failed", "error": "broken", "blocked": "skipped",
          "not-tested": "skipped", "known-issue": "skipped"}
RUN_TEST = "smoke-harness::run"


@dataclass(frozen=True)
class AllureOutput:
    """Where Allure's results go (pytest's --alluredir) and the history to carry over."""

    directory: str
    history: str | None = None


def _md5(*parts: str) -> str:
    return hashlib.md5("\x00".join(parts).encode("utf-8")).hexdigest()


def _epoch_ms(stamp: object) -> int:
    try:
        return round(datetime.fromisoformat(str(stamp).replace("Z", "+00:00")).timestamp() * 1000)
    except ValueError:
        return 0


def _origin_ms(doc: Mapping[str, Any]) -> int:
    """The Unix time (ms) the document's timeline is relative to."""
    return int(doc.get("clock_epoch_ms") or _epoch_ms(doc.get("started_at")))


def categories() -> list[dict[str, Any]]:
    """One category per cause (matched on the `cause: CODE (` line each failure's trace
    starts with), then the checks that were not failures."""
    found = [{"name": f"{cause.code} ({cause.severity})", "description": cause.meaning,
              "matchedStatuses": ["failed"],
              "traceRegex": f"cause: {re.escape(cause.code)} \\(.*"}
             for cause in sorted(Cause, key=lambda c: c.rank)]
    return found + [
        {"name": "not tested", "matchedStatuses": ["skipped"], "messageRegex": "not tested: .*",
         "description": "checks the run could not make (no credentials, no origin, a budget)"},
        {"name": "blocked by another check", "matchedStatuses": ["skipped"],
         "messageRegex": "blocked by .*"},
        {"name": "known issues", "matchedStatuses": ["skipped"],
         "messageRegex": "known issue: .*"},
        {"name": "the harness could not judge", "matchedStatuses": ["broken"]},
    ]


def _message(check: Mapping[str, Any]) -> str:
    outcome, message = check.get("outcome"), str(check.get("message") or "")
    if outcome == "not-tested":
        return f"not tested: {message}"
    if outcome == "blocked":
        return f"blocked by {str(check.get('blocked_by') or '').split('::', 1)[-1]}"
    if outcome == "known-issue":
        return f"known issue: {message}"
    return message


def _trace(check: Mapping[str, Any]) -> str:
    lines = [f"cause: {check['cause']} ({check.get('severity')})"] if check.get("cause") else []
    for key, label in (("evidence", "evidence"), ("reproduce", "reproduce")):
        if check.get(key):
            lines.append(f"{label}: {check[key]}")
    if check.get("latency_ms") is not None:
        lines.append(f"latency: {check['latency_ms']} ms (budget {check.get('budget_ms')} ms)")
    return "\n".join(lines)


Attach = Callable[[str, str], dict[str, str]]


def _steps(check: Mapping[str, Any], origin: int, attach: Attach) -> list[dict[str, Any]]:
    """A step per request or Socket.IO stage, in the order they started; a failed check's
    failing step (a step that did not do what it was sent for, else its last) is failed."""
    steps = sorted(check.get("steps") or [], key=lambda s: (s["start_ms"], s["end_ms"]))
    failing = None
    if check.get("outcome") in ("failed", "error") and steps:
        failing = next((i for i, s in enumerate(steps) if not s.get("ok", True)),
                       len(steps) - 1)
    result = []
    for i, step in enumerate(steps):
        failed = i == failing
        attachments = [attach(step["exchange"], "request and response (redacted)")] \
            if step.get("exchange") else []
        if failed and check.get("evidence"):
            attachments.append(attach(str(check["evidence"]), "evidence"))
        result.append({
            "name": step["label"], "status": "failed" if failed else "passed",
            "stage": "finished", "start": origin + step["start_ms"],
            "stop": origin + step["end_ms"], "attachments": attachments, "steps": [],
            "parameters": [],
            **({"statusDetails": {"message": _message(check), "trace": _trace(check)}}
               if failed else {})})
    return result


def _labels(doc: Mapping[str, Any], check: Mapping[str, Any]) -> list[dict[str, str]]:
    name = str(check["id"]).split("::", 1)[-1]
    test, _, case = name.partition("[")
    run = doc.get("run") or {}
    labels = {"epic": str(run.get("contract") or "contract"), "feature": str(check["suite"]),
              "story": case.rstrip("]") or test, "parentSuite": "smoke-harness",
              "suite": str(check["suite"]), "subSuite": test, "framework": "smoke-harness",
              "language": "python", "host": str(run.get("target_key") or doc.get("target")),
              "thread": str(check["suite"]),
              "severity": SEVERITY.get(str(check.get("severity")), "normal")}
    found = [{"name": key, "value": value} for key, value in labels.items()]
    if check.get("cause"):
        found.append({"name": "tag", "value": str(check["cause"])})
    return found


def check_result(doc: Mapping[str, Any], check: Mapping[str, Any], attach: Attach,
                ) -> dict[str, Any]:
    """One check as an Allure test result."""
    origin = _origin_ms(doc)
    steps = _steps(check, origin, attach)
    start = min((s["start"] for s in steps), default=origin)
    stop = max((s["stop"] for s in steps), default=start)
    contract = str((doc.get("run") or {}).get("contract") or "")
    details = {"message": _message(check), "trace": _trace(check)}
    attachments = [attach(_trace(check), "diagnosis")] if check.get("cause") else []
    return {
        "uuid": str(uuid.uuid4()), "historyId": _md5(contract, str(check["id"])),
        "testCaseId": _md5(str(check["id"])), "fullName": str(check["id"]),
        "name": str(check["id"]).split("::", 1)[-1],
        "status": STATUS.get(str(check.get("outcome")), "unknown"),
        "statusDetails": details if check.get("outcome") != "passed" else {},
        "stage": "finished", "start": start, "stop": stop, "labels": _labels(doc, check),
        "steps": steps, "attachments": attachments, "parameters": [], "links": []}


def run_result(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The run itself (`smoke-harness::run`): broken when it could not judge the contract."""
    start = _epoch_ms(doc.get("started_at")) or _origin_ms(doc)
    verdict = str(doc.get("verdict"))
    judged = verdict in ("pass", "fail")
    causes = doc.get("root_causes") or []
    why = str(doc.get("error") or (f"[{causes[0]['cause']}] {causes[0]['summary']}"
                                   if causes else "no check ran")).split("\n")[0]
    return {
        "uuid": str(uuid.uuid4()), "historyId": _md5("run", str((doc.get("run") or {})
                                                               .get("contract"))),
        "testCaseId": _md5(RUN_TEST), "fullName": RUN_TEST, "name": RUN_TEST,
        "status": "passed" if judged else "broken",
        "statusDetails": {} if judged else {"message": f"the run is {verdict.upper()}: {why}"},
        "stage": "finished", "start": start,
        "stop": start + round(float(doc.get("duration_s") or 0) * 1000),
        "labels": [{"name": "parentSuite", "value": "smoke-harness"},
                   {"name": "suite", "value": "run"}, {"name": "framework",
                                                       "value": "smoke-harness"},
                   {"name": "severity", "value": "critical"}],
        "steps": [], "attachments": [], "parameters": [], "links": []}


def executor(doc: Mapping[str, Any], build_order: int = 1) -> dict[str, Any]:
    """executor.json: who ran it (the CI job when there is one) and its build order (the
    Trend's x axis: one more than the carried history's last)."""
    run = doc.get("run") or {}
    ci = run.get("ci") or {}
    found = {"name": str(ci.get("provider") or "smoke-harness"),
             "type": str(ci.get("provider") or "smoke-harness"),
             "buildName": f"{run.get('contract')} {doc.get('started_at')}",
             "buildOrder": build_order,
             "reportName": f"smoke-harness: {run.get('contract')} against "
                           f"{run.get('target_key') or doc.get('target')}"}
    if ci.get("url"):
        found["buildUrl"] = str(ci["url"])
    return found


def environment(doc: Mapping[str, Any]) -> dict[str, str]:
    run = doc.get("run") or {}
    return {"target": str(doc.get("target")), "verdict": str(doc.get("verdict")),
            "version": str(run.get("target_version") or "unknown"),
            "contract": str(run.get("contract")), "contract.file": str(run.get("contract_file")),
            "contract.sha256": str(run.get("contract_sha256")),
            "credentials": str(run.get("credentials")), "command": str(run.get("command")),
            "harness.version": str(run.get("harness_version"))}


def write_environment(directory: str | Path, properties: Mapping[str, str]) -> None:
    """Allure's environment.properties (shown on the report's overview page)."""
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    lines = [f"{key}={str(value).replace(chr(10), ' ')}" for key, value in properties.items()]
    (path / "environment.properties").write_text("\n".join(lines) + "\n", encoding="utf-8")


def carry_history(source: str | Path, directory: Path) -> bool:
    """Copy a previous report's `history/` (or a history folder itself) into the results'
    `history/`; False when there is none yet (the first run)."""
    source = Path(source)
    if (source / "history").is_dir():
        source = source / "history"
    files = sorted(source.glob("*.json")) if source.is_dir() else []
    if not files:
        return False
    (directory / "history").mkdir(parents=True, exist_ok=True)
    for file in files:
        shutil.copy2(file, directory / "history" / file.name)
    return True


def last_build_order(directory: Path) -> int:
    """The newest build order in the results' carried `history/history-trend.json` (0: none)."""
    try:
        trend = json.loads((directory / "history" / "history-trend.json").read_text("utf-8"))
    except (OSError, ValueError):
        return 0
    orders = [item.get("buildOrder") for item in trend if isinstance(item, dict)] \
        if isinstance(trend, list) else []
    return max((order for order in orders if isinstance(order, int)), default=0)


def write_allure(output: AllureOutput, doc: Mapping[str, Any]) -> list[str]:
    """Write the run's Allure results into `output.directory`; notes for the person."""
    directory = Path(output.directory)
    directory.mkdir(parents=True, exist_ok=True)

    def attach(text: str, name: str) -> dict[str, str]:
        source = f"{uuid.uuid4()}-attachment.txt"
        (directory / source).write_text(text, encoding="utf-8")
        return {"name": name, "source": source, "type": "text/plain"}

    results = [check_result(doc, check, attach) for check in doc.get("checks") or []]
    results.append(run_result(doc))
    for result in results:
        (directory / f"{result['uuid']}-result.json").write_text(json.dumps(result),
                                                                 encoding="utf-8")
    notes = []
    if output.history and not carry_history(output.history, directory):
        notes.append(f"--allure-history {output.history}: no Allure history there yet (the "
                     "first run); the next run's Trend starts from this one's report")
    (directory / "categories.json").write_text(json.dumps(categories(), indent=1),
                                               encoding="utf-8")
    order = last_build_order(directory) + 1
    (directory / "executor.json").write_text(json.dumps(executor(doc, order), indent=1),
                                             encoding="utf-8")
    write_environment(directory, environment(doc))
    return notes

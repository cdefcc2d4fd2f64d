"""The JSON report document (the README's "Reports" shape): every report renders from it."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from harness import __version__
from harness.judge.kinds import kind, node_id, report_id
from harness.judge.outcomes import KNOWN, NOT_TESTED, PASSED, Outcome
from harness.judge.result import RunResult
from harness.reports.baseline import compare
from harness.reports.github import ci_context
from harness.reports.history import LAST, baseline_of, no_previous_run
from harness.sanitize.escape import escape_control


def check_document(outcome: Outcome, result: RunResult) -> dict[str, Any]:
    finding = outcome.finding
    return {
        "id": node_id(outcome.check), "suite": kind(outcome.check.kind).suite,
        "outcome": outcome.outcome.value, "cause": outcome.cause.code if outcome.cause else None,
        "blocked_by": _node(result, outcome.blocked_by), "message": outcome.message,
        "evidence": finding.evidence if finding else "",
        "reproduce": finding.reproduce if finding else "",
        "latency_ms": outcome.latency_ms if outcome.latency_ms is not None else
        (finding.latency_ms if finding else None),
    }


def _node(result: RunResult, key: str | None) -> str | None:
    return None if key is None else report_id(key)


def build_document(result: RunResult, latencies: dict[str, int] | None = None) -> dict[str, Any]:
    """The report as a dict; every text in it redacted and escaped."""
    checks = []
    for outcome in result.outcomes:
        doc = check_document(outcome, result)
        if doc["latency_ms"] is None and latencies:
            doc["latency_ms"] = latencies.get(outcome.check.key)
        checks.append(doc)
    config = result.config
    document: dict[str, Any] = {
        "verdict": result.verdict.value, "target": result.target, "started_at": result.started_at,
        "duration_s": round(result.duration_s, 3), "requests_sent": result.requests_sent,
        "requests_by_suite": result.requests_by_suite,
        "requests_by_path": result.requests_by_path, "rate_limit": result.rate_limit,
        "root_causes": [{**root.document(), "checks": [_node(result, k) for k in root.checks]}
                        for root in result.root_causes],
        "not_tested": [{"check": node_id(o.check), "reason": o.reason}
                       for o in result.outcomes if o.outcome == NOT_TESTED],
        "known_issues": [{"check": node_id(o.check), "reason": o.known.reason,
                          "link": o.known.link,
                          "status": "still-failing" if o.outcome == KNOWN else "fixed"}
                         for o in result.outcomes
                         if o.known is not None and o.outcome in (KNOWN, PASSED)],
        "checks": checks,
        "run": {"harness_version": __version__, "contract": config.contract.name,
                "contract_file": str(config.contract_path),
                "contract_sha256": config.contract_sha256,
                "credentials": config.credentials.kind,
                "options": {key: value for key, value in config.options.items()},
                "target_version": result.version, "ci": ci_context(os.environ)},
        "notes": result.notes,
        "timeline": [{"label": span.label, "start_ms": round(span.start_s * 1000),
                      "end_ms": round(span.end_s * 1000), "ok": span.ok}
                     for span in result.timeline],
    }
    if result.error:
        document["error"] = result.error
    if result.waited_s is not None:
        document["waited_s"] = round(result.waited_s, 3)
    if result.containers is not None:
        document["containers"] = result.containers
    previous = baseline_of(config)
    if previous is not None:
        document["baseline"] = baseline_document(document, previous, str(config.baseline))
    elif config.baseline == LAST:
        document["notes"] = [*document["notes"], no_previous_run(config)]
    return sanitised(document, result)


def baseline_document(document: dict[str, Any], previous: dict[str, Any],
                      source: str) -> dict[str, Any]:
    """What changed since the baseline report (a --baseline file, or `last`: the history's):
    check ids newly failing, fixed, still failing and no longer verified, with the
    baseline's verdict and start."""
    diff = compare(document, previous)
    return {"file": source, "previous_verdict": diff.previous_verdict,
            "previous_started_at": diff.previous_started_at,
            "newly_failing": diff.newly_failing, "fixed": diff.fixed,
            "still_failing": diff.still_failing, "unverified": diff.unverified}


def sanitised(value: Any, result: RunResult) -> Any:
    """Every string in the document redacted and with control characters escaped."""
    if isinstance(value, str):
        return "\n".join(escape_control(line) for line in result.redactor.text(value).split("\n"))
    if isinstance(value, dict):
        return {key: sanitised(item, result) for key, item in value.items()}
    if isinstance(value, list):
        return [sanitised(item, result) for item in value]
    return value


def write_json(path: str | Path, document: dict[str, Any]) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")

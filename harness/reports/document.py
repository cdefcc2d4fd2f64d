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
from harness.records.timeline import Span
from harness.reports.baseline import LATENCY_MS, LATENCY_SHARE, compare
from harness.reports.github import ci_context
from harness.reports.history import LAST, baseline_of, history_document, no_previous_run
from harness.reports.provenance import command_line, contract_file, stack_document
from harness.sanitize.escape import escape_control


def check_document(outcome: Outcome, result: RunResult) -> dict[str, Any]:
    finding = outcome.finding
    latency = outcome.latency_ms if outcome.latency_ms is not None else \
        (finding.latency_ms if finding else None)
    return {
        "id": node_id(outcome.check), "suite": kind(outcome.check.kind).suite,
        "outcome": outcome.outcome.value, "cause": outcome.cause.code if outcome.cause else None,
        "blocked_by": _node(result, outcome.blocked_by), "message": outcome.message,
        "evidence": finding.evidence if finding else "",
        "reproduce": finding.reproduce if finding else "",
        "latency_ms": latency,
        "severity": outcome.cause.severity if outcome.cause else None,
        "budget_ms": outcome.budget_ms,
        "slow": latency is not None and outcome.budget_ms is not None
        and latency > outcome.budget_ms,
        "steps": [{**_span(step.span), "label": step.name, "exchange": step.exchange}
                  for step in outcome.steps],
    }


def _span(span: Span) -> dict[str, Any]:
    return {"label": span.label, "start_ms": round(span.start_s * 1000),
            "end_ms": round(span.end_s * 1000), "ok": span.ok}


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
                "contract_file": contract_file(config), "target_key": config.target_key,
                "command": command_line(config.options),
                "contract_sha256": config.contract_sha256,
                "credentials": config.credentials.kind,
                "options": {key: value for key, value in config.options.items()},
                "target_version": result.version, "ci": ci_context(os.environ)},
        "notes": result.notes,
        "timeline": [_span(span) for span in result.timeline],
        "clock_epoch_ms": round(result.clock_epoch_s * 1000) if result.clock_epoch_s else None,
    }
    stack = stack_document(config, result.target)
    if stack is not None:
        document["stack"] = stack
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
    history = history_document(config, document)
    if history is not None:
        document["history"] = history
    return sanitised(document, result)


def baseline_document(document: dict[str, Any], previous: dict[str, Any],
                      source: str) -> dict[str, Any]:
    """What changed since the baseline report (a --baseline file, or `last`: the history's):
    check ids newly failing, fixed, still failing and no longer verified, with the
    baseline's verdict and start."""
    diff = compare(document, previous)
    return {"file": source, "previous_verdict": diff.previous_verdict,
            "previous_started_at": diff.previous_started_at,
            "previous_target": diff.previous_target,
            "previous_target_key": diff.previous_target_key,
            "previous_contract": diff.previous_contract,
            "newly_failing": diff.newly_failing, "fixed": diff.fixed,
            "still_failing": diff.still_failing, "unverified": diff.unverified,
            "latency": [change.document() for change in diff.latency],
            "latency_threshold": {"share": LATENCY_SHARE, "ms": LATENCY_MS}}


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

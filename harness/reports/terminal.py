"""The terminal summary people read: the likely root cause first, a verdict line last.

A total failure fits a screen: each root cause shows a few of its checks (all with -v);
everything else is in the reports. Colour only on a terminal, and never with NO_COLOR.
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from typing import Any, TextIO

CHECKS_SHOWN = 3
COLOURS = {"pass": "32", "fail": "31", "inconclusive": "33", "error": "31"}


def use_colour(stream: TextIO, env: dict[str, str] | None = None) -> bool:
    env = dict(os.environ) if env is None else env
    return "NO_COLOR" not in env and hasattr(stream, "isatty") and stream.isatty()


def counts_phrase(doc: dict[str, Any]) -> str:
    """`52 of 68 checks passed; 16 not tested: no credentials` style counts."""
    checks = doc["checks"]
    by = Counter(check["outcome"] for check in checks)
    total = len(checks)
    parts = [f"{by['passed']} of {total} checks passed"]
    for outcome in ("failed", "blocked", "known-issue"):
        if by[outcome]:
            parts.append(f"{by[outcome]} {outcome.replace('-', ' ')}")
    reasons = Counter(item["reason"].split(" (")[0].split(":")[0] for item in doc["not_tested"])
    if reasons:
        why = ", ".join(reason for reason, _ in reasons.most_common(3))
        parts.append(f"{sum(reasons.values())} not tested: {why}")
    return "; ".join(parts)


def _not_tested(items: list[dict[str, Any]], verbose: bool) -> list[str]:
    """One line per check (with -v, or when few), else one line per reason with its count."""
    if verbose or len(items) <= 5:
        return [f"not tested: {item['check'].split('::', 1)[-1]}: {item['reason']}"
                for item in items]
    by_reason = Counter(item["reason"] for item in items)
    return [f"not tested: {count} check{'s' if count > 1 else ''}: {reason}"
            for reason, count in by_reason.most_common()]


def _since_baseline(baseline: dict[str, Any], verbose: bool) -> list[str]:
    """The changes since `--baseline`: one line per kind of change, its checks named."""
    lines = [f"since the baseline {baseline['file']} ({baseline['previous_verdict'].upper()}"
             f"{', ' + baseline['previous_started_at'] if baseline['previous_started_at'] else ''}"
             "):"]
    for key, label in (("newly_failing", "newly failing"), ("fixed", "fixed"),
                       ("unverified", "failed before, not verified now"),
                       ("still_failing", "still failing")):
        ids = [check.split("::", 1)[-1] for check in baseline[key]]
        shown = ids if verbose else ids[:CHECKS_SHOWN]
        more = f" ... and {len(ids) - len(shown)} more" if len(ids) > len(shown) else ""
        if ids:
            lines.append(f"   {label}: {len(ids)} ({', '.join(shown)}{more})")
    if len(lines) == 1:
        lines.append("   no change")
    return lines


def render(doc: dict[str, Any], *, verbose: bool = False, colour: bool = False) -> str:
    lines: list[str] = []
    if doc.get("error"):
        return "\n".join([doc["error"], "", verdict_line(doc, colour)])
    roots = doc["root_causes"]
    if roots:
        lines.append(f"Most likely: {roots[0]['summary']}")
        lines.append("")
    by_id = {check["id"]: check for check in doc["checks"]}
    for number, root in enumerate(roots, start=1):
        blocked = f", {root['blocked']} blocked" if root["blocked"] else ""
        lines.append(f"{number}. {root['cause']} ({len(root['checks'])} checks{blocked}): "
                     f"{root['summary'] if number > 1 else root['evidence']}")
        shown = root["checks"] if verbose else root["checks"][:CHECKS_SHOWN]
        for check_id in shown:
            check = by_id.get(check_id, {})
            lines.append(f"   x {check_id.split('::', 1)[-1]}")
            if verbose and check.get("message"):
                lines.append(f"       {check['message']}")
        if len(root["checks"]) > len(shown):
            lines.append(f"   ... and {len(root['checks']) - len(shown)} more (-v, or the "
                         "reports)")
        lines.append(f"   next step: {root['next_step']}")
        first = by_id.get(root["checks"][0], {}) if root["checks"] else {}
        if first.get("reproduce"):
            lines.append(f"   reproduce: {first['reproduce']}")
    if doc["known_issues"]:
        lines.append("")
        for issue in doc["known_issues"]:
            state = "known issue" if issue["status"] == "still-failing" else \
                "known issue now passes: fixed? remove it from known_issues"
            lines.append(f"{state}: {issue['check'].split('::', 1)[-1]} ({issue['reason']})")
    if doc["not_tested"]:
        lines.append("")
        lines.extend(_not_tested(doc["not_tested"], verbose))
    if doc.get("baseline"):
        lines.append("")
        lines.extend(_since_baseline(doc["baseline"], verbose))
    lines.append("")
    suites: dict[str, Counter[str]] = defaultdict(Counter)
    for check in doc["checks"]:
        suites[check["suite"]][check["outcome"]] += 1
    for suite in sorted(suites):
        counts = ", ".join(f"{n} {outcome}" for outcome, n in sorted(suites[suite].items()))
        sent = doc.get("requests_by_suite", {}).get(suite, 0)
        lines.append(f"  {suite:<8} {counts} ({sent} requests)")
    lines.append("")
    lines.append(verdict_line(doc, colour))
    return "\n".join(lines)


def verdict_line(doc: dict[str, Any], colour: bool = False) -> str:
    verdict = doc["verdict"].upper()
    budget = doc.get("rate_limit")
    limit = (f"; rate limit: {budget['remaining_before']} -> {budget['remaining_after']} of "
             f"{budget['limit']} left") \
        if budget and budget.get("remaining_after") is not None else ""
    word = f"\x1b[1;{COLOURS[doc['verdict']]}m{verdict}\x1b[0m" if colour else verdict
    counts = counts_phrase(doc) if doc["checks"] else "no check ran"
    return (f"VERDICT: {word} ({counts}) in {doc['duration_s']:.2f} s against {doc['target']}; "
            f"{doc['requests_sent']} request{'' if doc['requests_sent'] == 1 else 's'} "
            f"sent{limit}")

"""The terminal summary people read: the likely root cause first, a verdict line last.

A total failure fits a screen: each root cause shows a few of its checks (all with -v);
everything else is in the reports. Colour as pytest decides it (`use_colour`); lines wrap to the
terminal's width.
"""

from __future__ import annotations

import os
import shutil
import textwrap
from collections import Counter, defaultdict
from collections.abc import Mapping
from typing import Any, TextIO

from harness.judge.causes import SEVERITIES

CHECKS_SHOWN = 3
REASONS_SHOWN = 3
COLOURS = {"pass": "32", "fail": "31", "inconclusive": "33", "error": "31"}


def use_colour(stream: TextIO, env: Mapping[str, str] | None = None) -> bool:
    """pytest's rules: PY_COLORS=1 on, PY_COLORS=0 off, NO_COLOR (non-empty) off, FORCE_COLOR
    (non-empty) on, TERM=dumb off, else whether `stream` is a terminal."""
    env = os.environ if env is None else env
    if env.get("PY_COLORS") in ("0", "1"):
        return env["PY_COLORS"] == "1"
    if env.get("NO_COLOR"):
        return False
    if env.get("FORCE_COLOR"):
        return True
    return hasattr(stream, "isatty") and stream.isatty() and env.get("TERM") != "dumb"


def terminal_width(stream: TextIO) -> int | None:
    """The width to wrap to on a terminal (shutil.get_terminal_size: COLUMNS first, then the
    terminal's); None (no wrapping) for a pipe or a CI log, whose readers grep whole lines."""
    tty = hasattr(stream, "isatty") and stream.isatty()
    return shutil.get_terminal_size().columns if tty else None


def plural(n: int, word: str) -> str:
    """`1 check`, `2 checks`."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def severity_counts(doc: Mapping[str, Any]) -> list[tuple[str, int]]:
    """How many root causes of each severity, most severe first (only those with any)."""
    counts = Counter(str(item["severity"]) for item in doc.get("root_causes") or []
                     if item.get("severity"))
    return [(severity, counts[severity]) for severity in SEVERITIES if counts[severity]] + \
        [(other, n) for other, n in counts.items() if other not in SEVERITIES]


def severity_line(doc: Mapping[str, Any]) -> str:
    """E.g. '9 root causes: 4 security, 3 availability, 1 correctness, 1 drift'."""
    counts = severity_counts(doc)
    if not counts:
        return ""
    total = sum(n for _, n in counts)
    return f"{plural(total, 'root cause')}: " + ", ".join(f"{n} {s}" for s, n in counts)


def wrap(lines: list[str], width: int | None) -> list[str]:
    """Each line wrapped to `width`, continuations indented under its text; reproduce lines
    stay whole (they are pasted)."""
    if not width:
        return lines
    wrapped: list[str] = []
    for line in lines:
        indent = " " * (len(line) - len(line.lstrip()) + 2)
        if len(line) <= width or line.lstrip().startswith("reproduce:"):
            wrapped.append(line)
        else:
            wrapped.extend(textwrap.wrap(line, width, subsequent_indent=indent,
                                         break_on_hyphens=False, break_long_words=False))
    return wrapped


def counts_phrase(doc: dict[str, Any]) -> str:
    """`52 of 68 checks passed; 16 not tested: no credentials` style counts."""
    checks = doc["checks"]
    by = Counter(check["outcome"] for check in checks)
    total = len(checks)
    parts = [f"{by['passed']} of {plural(total, 'check')} passed"]
    for outcome in ("failed", "blocked", "known-issue"):
        if by[outcome]:
            parts.append(f"{by[outcome]} {outcome.replace('-', ' ')}")
    reasons = Counter(item["reason"].split(" (")[0].split(":")[0] for item in doc["not_tested"])
    if reasons:
        named = [reason for reason, _ in reasons.most_common()]
        shown = named if len(named) <= REASONS_SHOWN + 1 else named[:REASONS_SHOWN]
        more = len(named) - len(shown)
        why = ", ".join(shown) + (f" ... and {plural(more, 'more reason')}" if more else "")
        parts.append(f"{sum(reasons.values())} not tested: {why}")
    return "; ".join(parts)


def _not_tested(items: list[dict[str, Any]], verbose: bool) -> list[str]:
    """One line per check (with -v, or when few), else one line per reason with its count."""
    if verbose or len(items) <= 5:
        return [f"not tested: {item['check'].split('::', 1)[-1]}: {item['reason']}"
                for item in items]
    by_reason = Counter(item["reason"] for item in items)
    return [f"not tested: {plural(count, 'check')}: {reason}"
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
    flagged = [change for change in baseline.get("latency") or [] if change["flagged"]]
    if flagged:
        shown = flagged if verbose else flagged[:CHECKS_SHOWN]
        more = f" ... and {len(flagged) - len(shown)} more" if len(flagged) > len(shown) else ""
        lines.append(f"   latency changed: {len(flagged)} ("
                     + ", ".join(f"{c['id'].split('::', 1)[-1]} {c['before_ms']} -> "
                                 f"{c['now_ms']} ms" for c in shown) + f"{more})")
    if len(lines) == 1:
        lines.append("   no change")
    return lines


def timeline_lines(spans: list[dict[str, Any]], width: int = 32) -> list[str]:
    """The run's requests and Socket.IO steps in the order they started: start and end in
    ms after the run's first request, a bar on a shared scale, what it was."""
    if not spans:
        return []
    last = max(span["end_ms"] for span in spans) or 1
    lines = [f"timeline ({plural(len(spans), 'step')}, {last} ms):"]
    for span in spans:
        left = span["start_ms"] * width // last
        right = max(left + 1, span["end_ms"] * width // last)
        bar = " " * left + "=" * (right - left)
        lines.append(f"  {span['start_ms']:5d} {span['end_ms']:5d} |{bar:<{width}}| "
                     f"{span['label']}{'' if span['ok'] else ' (failed)'}")
    return lines


def render(doc: dict[str, Any], *, verbose: bool = False, colour: bool = False,
           width: int | None = None) -> str:
    """The summary; with `width`, every line but the reproduce lines wrapped to it."""
    lines: list[str] = []
    if doc.get("error"):
        return "\n".join([*wrap(doc["error"].split("\n"), width), "",
                          *wrap([verdict_line(doc, colour)], width)])
    roots = doc["root_causes"]
    if roots:
        lines.append(f"Most likely: {roots[0]['summary']}")
        lines.extend([severity_line(doc)] if severity_line(doc) else [])
        lines.append("")
    by_id = {check["id"]: check for check in doc["checks"]}
    for number, root in enumerate(roots, start=1):
        blocked = f", {root['blocked']} blocked" if root["blocked"] else ""
        lines.append(f"{number}. {root['cause']} ({plural(len(root['checks']), 'check')}"
                     f"{blocked}): "
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
        severity = f"severity: {root['severity']}; " if root.get("severity") else ""
        lines.append(f"   {severity}next step: {root['next_step']}")
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
    if doc.get("notes"):
        lines.append("")
        lines.extend(f"note: {note}" for note in doc["notes"])
    if verbose and doc.get("timeline"):
        lines.append("")
        lines.extend(timeline_lines(doc["timeline"]))
    lines.append("")
    suites: dict[str, Counter[str]] = defaultdict(Counter)
    for check in doc["checks"]:
        suites[check["suite"]][check["outcome"]] += 1
    for suite in sorted(suites):
        counts = ", ".join(f"{n} {outcome}" for outcome, n in sorted(suites[suite].items()))
        sent = doc.get("requests_by_suite", {}).get(suite, 0)
        lines.append(f"  {suite:<8} {counts} ({plural(sent, 'request')})")
    lines.append("")
    lines.append(verdict_line(doc, colour))
    return "\n".join(wrap(lines, width))


def verdict_line(doc: dict[str, Any], colour: bool = False) -> str:
    verdict = doc["verdict"].upper()
    budget = doc.get("rate_limit")
    limit = (f"; rate limit: {budget['remaining_before']} -> {budget['remaining_after']} of "
             f"{budget['limit']} left") \
        if budget and budget.get("remaining_after") is not None else ""
    word = f"\x1b[1;{COLOURS[doc['verdict']]}m{verdict}\x1b[0m" if colour else verdict
    counts = counts_phrase(doc) if doc["checks"] else "no check ran"
    return (f"VERDICT: {word} ({counts}) in {doc['duration_s']:.2f} s against {doc['target']}; "
            f"{plural(doc['requests_sent'], 'request')} sent{limit}")

"""The compact summary people read: per suite counts, failures grouped by cause, the verdict."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence

from harness.causes import CAUSES
from harness.report import CheckRecord, RunReport

SEVERITY_ORDER = {"critical": 0, "normal": 1, "minor": 2}


def _short_id(nodeid: str) -> str:
    return nodeid.split("::", 1)[-1]


def render_summary(report: RunReport, records: Sequence[CheckRecord]) -> str:
    lines: list[str] = []
    by_suite: dict[str, Counter[str]] = defaultdict(Counter)
    for record in records:
        by_suite[record.suite][record.outcome] += 1
    for suite in sorted(by_suite):
        counts = ", ".join(f"{n} {outcome}" for outcome, n in sorted(by_suite[suite].items()))
        lines.append(f"  {suite:<8} {counts}")

    failed = [r for r in records if r.outcome in ("failed", "error")]
    grouped: dict[str, list[CheckRecord]] = defaultdict(list)
    for record in failed:
        grouped[record.cause or "unclassified"].append(record)

    def rank(code: str) -> tuple[int, int]:
        severity = CAUSES[code].severity if code in CAUSES else "critical"
        return SEVERITY_ORDER.get(severity, 0), -len(grouped[code])

    for code in sorted(grouped, key=rank):
        entry = CAUSES.get(code)
        lines.append("")
        lines.append(f"{code} ({len(grouped[code])}): {entry.summary if entry else 'see message'}")
        for record in sorted(grouped[code], key=lambda r: r.id):
            lines.append(f"  x {_short_id(record.id)}")
            if record.message:
                lines.append(f"      {record.message}")
        if entry:
            lines.append(f"  next step: {entry.next_step}")

    limited = [r for r in records if r.cause == "rate-limited"]
    if limited:
        lines.append("")
        lines.append(f"rate-limited ({len(limited)} checks skipped, not failed): "
                     f"{limited[0].message}")

    skipped = sum(1 for r in records if r.outcome == "skipped")
    ran = len(records) - skipped
    verdict = report.verdict.upper()
    tail = f"{len(failed)} of {ran} checks failed" if failed else f"{ran} checks passed"
    if skipped:
        tail += f", {skipped} skipped"
    lines.append("")
    lines.append(f"VERDICT: {verdict} - {tail} in {report.duration_s:.2f} s against "
                 f"{report.target}; {report.requests_sent} HTTP requests sent")
    return "\n".join(lines)

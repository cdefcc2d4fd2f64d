"""What changed between two runs' report documents, in causes: new, fixed, still failing (or
not verified: its checks did not run this time), a verdict that changed, and latency shifts
past their threshold."""

from __future__ import annotations

from typing import Any

FAILING = frozenset({"failed", "error", "known-issue"})
SHIFT_MS = 500  # a latency shift is shown when it moved by at least this much, and doubled
# or halved (a run's burst on a busy machine moves latencies by a few hundred ms: not news)


def failing_causes(doc: dict[str, Any]) -> dict[str, set[str]]:
    """Cause code -> the check ids failing with it (a run that stopped early has root causes
    without checks)."""
    causes: dict[str, set[str]] = {}
    for check in doc.get("checks") or []:
        if check.get("outcome") in FAILING and check.get("cause"):
            causes.setdefault(check["cause"], set()).add(check["id"])
    for root in doc.get("root_causes") or []:
        causes.setdefault(root["cause"], set())
    return causes


def cause_changes(previous: dict[str, Any] | None, current: dict[str, Any]) -> list[str]:
    """One line per cause: `<cause> new`, `<cause> fixed`, `<cause> still failing` or
    `<cause> not verified (...)`."""
    before = failing_causes(previous) if previous else {}
    now = failing_causes(current)
    outcomes = {check["id"]: check.get("outcome") for check in current.get("checks") or []}
    lines = [f"{cause} new" for cause in sorted(now.keys() - before.keys())]
    for cause in sorted(before.keys() - now.keys()):
        unrun = sorted(c for c in before[cause] if outcomes.get(c) != "passed")
        lines.append(f"{cause} fixed" if not unrun else
                     f"{cause} not verified ({len(unrun)} of its checks did not run)")
    lines += [f"{cause} still failing" for cause in sorted(now.keys() & before.keys())]
    return lines


def verdict_change(previous: dict[str, Any] | None, current: dict[str, Any]) -> list[str]:
    """`verdict PASS -> INCONCLUSIVE` when the verdict is not the previous run's (a verdict
    that changed is a change, even with no cause new or fixed)."""
    if not previous or previous.get("verdict") == current.get("verdict"):
        return []
    return [f"verdict {str(previous.get('verdict')).upper()} -> "
            f"{str(current.get('verdict')).upper()}"]


def latency_shifts(previous: dict[str, Any] | None, current: dict[str, Any]) -> list[str]:
    """`latency <check>: <before> ms -> <now> ms` for each check whose latency moved by at
    least SHIFT_MS and doubled or halved."""
    if not previous:
        return []
    before = {check["id"]: check.get("latency_ms") for check in previous.get("checks") or []}
    lines = []
    for check in current.get("checks") or []:
        was, now = before.get(check["id"]), check.get("latency_ms")
        if isinstance(was, int) and isinstance(now, int) and \
                abs(now - was) >= max(SHIFT_MS, min(was, now)):
            lines.append(f"latency {check['id']}: {was} ms -> {now} ms")
    return lines

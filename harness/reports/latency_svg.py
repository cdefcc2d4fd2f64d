"""The latency chart of the sign-off page: inline SVG, one bar per timed check, slowest first.

The scale is logarithmic (1 ms to the largest latency or budget), so a 3 ms connect and a
1.5 s health route both read. A bar's colour says speed only: within its budget, or over it
(slow). The outcome is a separate dot before the label (a check can fail fast or pass slowly).
Each row marks its check's budget with a dark tick.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from html import escape

LABEL_W, BAR_W, VALUE_W = 380, 540, 110
ROW_H, TOP = 18, 44
WIDTH = LABEL_W + BAR_W + VALUE_W
LABEL_CHARS = 52  # 11px monospace is ~6.6px a character: fits LABEL_W
WITHIN, SLOW, BUDGET = "#54aeff", "#e16f24", "#1f2328"
OUTCOME_DOT = {"passed": "#1a7f37", "failed": "#cf222e", "error": "#cf222e",
               "known-issue": "#bf8700"}
OTHER = "#8c959f"


def check_label(check_id: str) -> str:
    """`suites/rest/test_auth.py::test_x[GET /a]` -> `test_x[GET /a]` (the part a person reads)."""
    return check_id.split("::", 1)[-1]


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def timed_checks(checks: list[dict]) -> list[dict]:
    """Checks with a latency, slowest first (ties by id, so the order is stable)."""
    timed = [c for c in checks if _number(c.get("latency_ms"))]
    return sorted(timed, key=lambda c: (-c["latency_ms"], c["id"]))


def is_slow(check: dict) -> bool:
    """Over its budget in this run (the judge's `slow-response` needs a quiet re-measure)."""
    budget = check.get("budget_ms")
    return _number(budget) and _number(check.get("latency_ms")) and \
        check["latency_ms"] > budget


def _shorten(text: str) -> str:
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "\u2026"


def _legend() -> str:
    items = [(WITHIN, "rect", "within budget"), (SLOW, "rect", "over budget (slow)"),
             (BUDGET, "tick", "budget"), (OUTCOME_DOT["passed"], "dot", "passed"),
             (OUTCOME_DOT["failed"], "dot", "failed"), (OTHER, "dot", "other outcome")]
    parts, x = [], LABEL_W
    for colour, shape, text in items:
        if shape == "rect":
            parts.append(f'<rect x="{x}" y="4" width="14" height="10" rx="2" fill="{colour}"/>')
        elif shape == "tick":
            parts.append(f'<rect x="{x + 6}" y="2" width="2.5" height="14" fill="{colour}"/>')
        else:
            parts.append(f'<circle cx="{x + 7}" cy="9" r="4.5" fill="{colour}"/>')
        parts.append(f'<text x="{x + 19}" y="13" fill="#424a53">{text}</text>')
        x += 19 + 7 * len(text) + 14
    return "".join(parts)


def latency_chart(checks: list[dict]) -> str:
    """An `<svg>` element (no script, no external reference); '' when no check was timed."""
    timed = timed_checks(checks)
    if not timed:
        return ""
    top_ms = max([float(c["latency_ms"]) for c in timed] +
                 [float(c["budget_ms"]) for c in timed if _number(c.get("budget_ms"))] + [10.0])
    decades = max(1, math.ceil(math.log10(top_ms)))

    def x_of(ms: float) -> float:
        return LABEL_W + BAR_W * min(math.log10(max(ms, 1.0)), decades) / decades

    height = TOP + ROW_H * len(timed) + 6
    plural = "s" if len(timed) != 1 else ""
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="latency" viewBox="0 0 {WIDTH} {height}"'
        f' width="100%" role="img" aria-label="latency of {len(timed)} check{plural}, slowest '
        'first, logarithmic scale, each with its budget"'
        ' font-family="ui-monospace,Menlo,Consolas,monospace" font-size="11">', _legend()]
    for decade in range(decades + 1):
        x = x_of(10 ** decade)
        parts.append(f'<line x1="{x:.1f}" y1="{TOP - 6}" x2="{x:.1f}" y2="{height - 4}" '
                     'stroke="#d8dee4" stroke-width="1"/>')
        label = f"{10 ** decade:g} ms" if decade < 3 else f"{10 ** (decade - 3):g} s"
        parts.append(f'<text x="{x:.1f}" y="{TOP - 10}" text-anchor="middle" fill="#59636e">'
                     f'{label}</text>')
    for row, check in enumerate(timed):
        parts.append(_row(check, TOP + row * ROW_H, x_of))
    parts.append("</svg>")
    return "".join(parts)


def _row(check: dict, y: float, x_of: Callable[[float], float]) -> str:
    ms = float(check["latency_ms"])
    outcome = str(check.get("outcome", ""))
    slow = is_slow(check)
    budget = check.get("budget_ms") if _number(check.get("budget_ms")) else None
    end = x_of(ms)
    width = max(end - LABEL_W, 1.5)
    within = f", budget {budget:g} ms" if budget is not None else ""
    full = escape(f"{check['id']}: {outcome}, {ms:g} ms{within}{' (slow)' if slow else ''}")
    row = [f'<g class="bar {escape(outcome)}{" slow" if slow else ""}"><title>{full}</title>',
           f'<circle cx="8" cy="{y + 9}" r="4.5" fill="{OUTCOME_DOT.get(outcome, OTHER)}"/>',
           f'<text x="{LABEL_W - 8}" y="{y + 12.5}" text-anchor="end" fill="#1f2328">'
           f'{escape(_shorten(check_label(check["id"])))}</text>',
           f'<rect x="{LABEL_W}" y="{y + 3}" width="{width:.1f}" height="{ROW_H - 6}" rx="2" '
           f'fill="{SLOW if slow else WITHIN}"/>']
    if budget is not None:
        bx = x_of(float(budget))
        row.append(f'<rect class="budget" x="{bx - 1:.1f}" y="{y + 1}" width="2.5" '
                   f'height="{ROW_H - 2}" fill="{BUDGET}"/>')
    text = f"{ms:g} ms" + (" slow" if slow else "")
    row.append(f'<text x="{LABEL_W + BAR_W + 8}" y="{y + 12.5}" '
               f'fill="{SLOW if slow else "#424a53"}">{text}</text></g>')
    return "".join(row)

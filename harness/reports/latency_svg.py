"""The latency chart of the sign-off page: inline SVG, one horizontal bar per timed check."""

from __future__ import annotations

import math
from html import escape

LABEL_W, BAR_W, VALUE_W = 380, 560, 90
ROW_H, TOP = 18, 26
WIDTH = LABEL_W + BAR_W + VALUE_W
LABEL_CHARS = 54  # 11px monospace is ~6.6px a character: fits LABEL_W
COLOURS = {"passed": "#2da44e", "failed": "#cf222e", "error": "#cf222e",
           "known-issue": "#bf8700"}
OTHER = "#8c959f"


def check_label(check_id: str) -> str:
    """`suites/rest/test_auth.py::test_x[GET /a]` -> `test_x[GET /a]` (the part a person reads)."""
    return check_id.split("::", 1)[-1]


def timed_checks(checks: list[dict]) -> list[dict]:
    """Checks with a latency, slowest first (ties by id, so the order is stable)."""
    timed = [c for c in checks
             if isinstance(c.get("latency_ms"), (int, float)) and not isinstance(
                 c.get("latency_ms"), bool)]
    return sorted(timed, key=lambda c: (-c["latency_ms"], c["id"]))


def _step(top: float) -> float:
    """A 1/2/5 x 10^k tick step giving four to eight ticks up to `top`."""
    raw = max(top, 1.0) / 5
    magnitude = 10 ** math.floor(math.log10(raw))
    return next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)


def _shorten(text: str) -> str:
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "\u2026"


def latency_chart(checks: list[dict]) -> str:
    """An `<svg>` element (no script, no external reference); '' when no check was timed."""
    timed = timed_checks(checks)
    if not timed:
        return ""
    step = _step(timed[0]["latency_ms"])
    scale_max = step * math.ceil(max(timed[0]["latency_ms"], 1) / step)
    height = TOP + ROW_H * len(timed) + 6
    plural = "s" if len(timed) != 1 else ""
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="latency" viewBox="0 0 {WIDTH} {height}"'
        f' width="100%" role="img" aria-label="latency of {len(timed)} check{plural}, slowest '
        'first"'
        ' font-family="ui-monospace,Menlo,Consolas,monospace" font-size="11">',
    ]
    ticks = int(round(scale_max / step))
    for i in range(ticks + 1):
        x = LABEL_W + BAR_W * i / ticks
        parts.append(f'<line x1="{x:.1f}" y1="{TOP - 6}" x2="{x:.1f}" y2="{height - 4}" '
                     'stroke="#d8dee4" stroke-width="1"/>')
        parts.append(f'<text x="{x:.1f}" y="{TOP - 10}" text-anchor="middle" fill="#59636e">'
                     f'{i * step:g} ms</text>')
    for row, check in enumerate(timed):
        y = TOP + row * ROW_H
        ms = float(check["latency_ms"])
        width = max(BAR_W * ms / scale_max, 1.5)
        outcome = str(check.get("outcome", ""))
        colour = COLOURS.get(outcome, OTHER)
        full = escape(f"{check['id']}: {outcome}, {ms:g} ms")
        parts.append(
            f'<g class="bar {escape(outcome)}"><title>{full}</title>'
            f'<text x="{LABEL_W - 8}" y="{y + 12.5}" text-anchor="end" fill="#1f2328">'
            f'{escape(_shorten(check_label(check["id"])))}</text>'
            f'<rect x="{LABEL_W}" y="{y + 3}" width="{width:.1f}" height="{ROW_H - 6}" rx="2" '
            f'fill="{colour}"/>'
            f'<text x="{LABEL_W + width + 6:.1f}" y="{y + 12.5}" fill="#424a53">{ms:g} ms</text>'
            '</g>')
    parts.append("</svg>")
    return "".join(parts)

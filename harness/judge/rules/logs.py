"""Service-log rules: known warning lines of the current start, and the port it runs on."""

from __future__ import annotations

from collections.abc import Sequence

from harness.judge.causes import Cause
from harness.judge.context import Context
from harness.judge.findings import Finding
from harness.probes.logscan import LogHit

LOG_LINES_SHOWN = 3


def log_warning(ctx: Context, hits: Sequence[LogHit], meaning: str) -> Finding | None:
    """Known warning lines in a service log: one finding quoting the lines."""
    if not hits:
        return None
    shown = "; ".join(f"{hit.where}: {hit.line!r}" for hit in hits[:LOG_LINES_SHOWN])
    more = f" (+{len(hits) - LOG_LINES_SHOWN} more)" if len(hits) > LOG_LINES_SHOWN else ""
    return ctx.finding(Cause.LOG_WARNING, f"{meaning}: {shown}{more}")

"""Service-log rules: known warning lines of the current start, and the port it runs on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from harness.judge.causes import Cause
from harness.judge.context import Context
from harness.judge.findings import Finding
from harness.judge.judge import NOT_SENT, Judge
from harness.judge.kinds import Result, rule
from harness.records.evidence import LogHit
from harness.records.keys import PORT_CHECK
from harness.records.plan import Check

LOG_LINES_SHOWN = 3


def log_warning(ctx: Context, hits: Sequence[LogHit], meaning: str) -> Finding | None:
    """Known warning lines in a service log: one finding quoting the lines."""
    if not hits:
        return None
    shown = "; ".join(f"{hit.where}: {hit.line!r}" for hit in hits[:LOG_LINES_SHOWN])
    more = f" (+{len(hits) - LOG_LINES_SHOWN} more)" if len(hits) > LOG_LINES_SHOWN else ""
    return ctx.finding(Cause.LOG_WARNING, f"{meaning}: {shown}{more}")


@rule("service-log", shown_by="suites/health/test_logs.py::test_service_log")
def service_log_check(judge: Judge, check: Check) -> Result:
    hits = judge.evidence.logs.get(check.probes[0]) if check.probes else None
    if hits is None:
        return NOT_SENT
    name = check.params["signature"]
    service = check.params.get("service")
    if name != PORT_CHECK:
        signature = next(s for s in judge.ctx.contract.service_logs.signatures if s.name == name)
        meaning = f"{service}: {signature.meaning}" if service else signature.meaning
        found = log_warning(judge.ctx, hits, meaning)
        if found is not None and signature.dependency:
            return replace(found, cause=Cause.DEPENDENCY_DOWN, dependency=signature.dependency)
        return found
    expected = " or ".join(str(port) for port in check.params["ports"])
    return log_warning(judge.ctx, hits,
                       f"a service runs on a port other than the expected {expected}")

"""`--wait-until-healthy`: poll the health routes with bounded backoff until green or a deadline."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from harness.findings import Finding
from harness.probe import Probe, ProbeResult
from harness.runtime import SmokeRuntime

RETRYABLE_STATUSES = frozenset({502, 503, 504})
FIRST_DELAY_S = 0.25
MAX_DELAY_S = 2.0
MIN_TRY_S = 1.0


@dataclass(frozen=True)
class WaitOutcome:
    """How the wait ended: `finding` is the last evidence when the target never became green."""

    waited_s: float
    attempts: int
    finding: Finding | None = None

    @property
    def healthy(self) -> bool:
        return self.finding is None


def retryable(result: ProbeResult) -> bool:
    """Only a transport error or 502/503/504 is worth waiting out; anything else is an answer."""
    return result.error is not None or result.status in RETRYABLE_STATUSES


def health_probes(runtime: SmokeRuntime) -> list[Probe]:
    health = runtime.config.contract.health
    paths = [health.route, *([health.aggregate] if health.aggregate else [])]
    return [Probe.build("GET", path, label="wait-until-healthy") for path in paths]


def print_progress(line: str) -> None:
    print(f"smoke-harness: {line}", file=sys.stderr, flush=True)


def wait_until_healthy(runtime: SmokeRuntime, deadline_s: float,
                       progress: Callable[[str], None] = print_progress) -> WaitOutcome:
    """Poll health (then aggregate) until neither needs retrying, or `deadline_s` passes."""
    started = time.monotonic()
    delay, attempts = FIRST_DELAY_S, 0
    while True:
        attempts += 1
        pending = _first_retryable(runtime, started + deadline_s)
        elapsed = time.monotonic() - started
        if pending is None:
            progress(f"target healthy after {elapsed:.1f} s ({attempts} attempt(s))")
            return WaitOutcome(elapsed, attempts)
        progress(f"not healthy yet ({elapsed:.1f}/{deadline_s:g} s, attempt {attempts}): "
                 f"{runtime.diagnoser.evidence(pending)}")
        remaining = deadline_s - elapsed
        if remaining <= 0:
            last = _diagnose(runtime, pending)
            message = (f"{runtime.config.url} did not become healthy within {deadline_s:g} s "
                       f"({attempts} attempts); last: {last.message}")
            return WaitOutcome(elapsed, attempts, Finding(last.cause, message, last.evidence))
        time.sleep(min(delay, remaining))
        delay = min(delay * 2, MAX_DELAY_S)


def _first_retryable(runtime: SmokeRuntime, deadline: float) -> ProbeResult | None:
    for probe in health_probes(runtime):
        result = _send(runtime, probe, max(MIN_TRY_S, deadline - time.monotonic()))
        if retryable(result):
            return result
    return None


def _diagnose(runtime: SmokeRuntime, result: ProbeResult) -> Finding:
    health, diagnoser = runtime.config.contract.health, runtime.diagnoser
    if result.probe.path == health.aggregate:
        for name in health.required_services:
            finding = diagnoser.aggregate_service(result, name)
            if finding is not None:
                return finding
    return diagnoser.health(result) or diagnoser.unexpected(result, "200")


def _send(runtime: SmokeRuntime, probe: Probe, limit_s: float) -> ProbeResult:
    """One fresh request (not memoised), bounded by the time left in the wait."""
    started = time.monotonic()
    try:
        return runtime.loop.run(asyncio.wait_for(runtime.prober.send(probe), limit_s),
                                timeout=limit_s + 5)
    except (asyncio.TimeoutError, TimeoutError):
        return ProbeResult(probe, elapsed_s=time.monotonic() - started, error="no-response",
                           error_detail=f"no answer within {limit_s:.1f} s")

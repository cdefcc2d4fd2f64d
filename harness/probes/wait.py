"""`--wait-until-healthy`: poll the health route with bounded backoff until it answers."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from harness.probes.http import HttpProbeClient
from harness.records.http import HttpAnswer, HttpRequest

RETRYABLE_STATUSES = frozenset({502, 503, 504})
FIRST_DELAY_S = 0.25
MAX_DELAY_S = 2.0


@dataclass(frozen=True)
class Waited:
    """How the wait ended: `last` is the last answer when the target never became healthy."""

    waited_s: float
    attempts: int
    last: HttpAnswer | None = None


def retryable(answer: HttpAnswer) -> bool:
    """Only a transport error or 502/503/504 is worth waiting out; anything else is an answer."""
    return answer.status is None or answer.status in RETRYABLE_STATUSES


async def wait_until_healthy(client: HttpProbeClient, request: HttpRequest | None,
                             deadline_s: float, say: Callable[[str], object] = print) -> Waited:
    """Poll the health document (each try a counted request) until it is not retryable."""
    if request is None:
        return Waited(0.0, 0)
    request = replace(request, key="health:wait", label="wait-until-healthy")
    started, delay, attempts = time.monotonic(), FIRST_DELAY_S, 0
    while True:
        attempts += 1
        answer = await client.send(request)
        elapsed = time.monotonic() - started
        if not retryable(answer):
            say(f"smoke-harness: target healthy after {elapsed:.1f} s ({attempts} attempt(s))")
            return Waited(elapsed, attempts)
        if elapsed >= deadline_s:
            return Waited(elapsed, attempts, answer)
        say(f"smoke-harness: not healthy yet ({elapsed:.1f}/{deadline_s:g} s, attempt "
            f"{attempts}): {answer.status or answer.error}")
        await asyncio.sleep(min(delay, max(0.0, deadline_s - elapsed)))
        delay = min(delay * 2, MAX_DELAY_S)

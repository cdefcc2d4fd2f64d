"""When each request and Socket.IO step of a run started and ended: the run's timeline.

A `Span` is one request or one session step, in seconds after the run's clock started; the
`Timeline` collects them as the probes go. The critical path of a run is read from it (the
bench and `-v` print it) and each check's latency comes from its own span.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Span:
    """One request or Socket.IO step: what it was, when it started and ended, whether it
    did what it was sent for."""

    label: str
    start_s: float
    end_s: float
    ok: bool = True
    key: str = ""

    @property
    def ms(self) -> int:
        return round((self.end_s - self.start_s) * 1000)


@dataclass
class Timeline:
    """The spans of one run, relative to `origin` (a `time.perf_counter()` reading)."""

    origin: float = field(default_factory=time.perf_counter)
    spans: list[Span] = field(default_factory=list)
    epoch: float = field(init=False)

    def __post_init__(self) -> None:
        """`epoch`: the wall-clock time (Unix seconds) of `origin`, for reports that need
        real start and stop times (Allure)."""
        self.epoch = time.time() - (time.perf_counter() - self.origin)

    def add(self, label: str, started: float, *, ok: bool = True, key: str = "",
            ended: float | None = None) -> Span:
        """Record a span that started at the perf-counter reading `started` and ends now
        (or at `ended`)."""
        end = time.perf_counter() if ended is None else ended
        span = Span(label, started - self.origin, end - self.origin, ok, key)
        self.spans.append(span)
        return span

    def ordered(self) -> list[Span]:
        return sorted(self.spans, key=lambda span: (span.start_s, span.end_s))

"""The run's timeline: every request and Socket.IO step with its start and end, shown by -v
and written to the JSON report, from a real run against the embedded stack."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bench.latency_proxy import LatencyProxy
from harness.records.timeline import Span
from harness.reports.terminal import timeline_lines
from harness.stacks.reference.loop import LoopThread

RTT_S = 0.25  # the proxy's added round trip: far above any scheduling jitter of a busy CI


@pytest.fixture
def slow_link() -> Iterator[LoopThread]:
    loop = LoopThread("latency-proxy")
    yield loop
    loop.close()


def _steps(timeline: list[Span], wire: str) -> dict[str, Span]:
    prefix = f"socket.io {wire}: "
    return {span.label.removeprefix(prefix): span for span in timeline
            if span.label.startswith(prefix)}


def test_every_request_and_socket_step_is_on_the_timeline(run_engine, reference_stack) -> None:
    stack = reference_stack()
    settings = stack.settings
    result = run_engine({"target_url": stack.url},
                        env={"SMOKE_USERNAME": settings.username,
                             "SMOKE_PASSWORD": settings.password})
    assert result.verdict.value == "pass"
    http = [span for span in result.timeline if not span.label.startswith("socket.io")]
    opened = [span for span in result.timeline
              if span.label.endswith((": upgrade", ": open"))]
    assert len(http) + len(opened) == result.requests_sent
    upgraded = _steps(result.timeline, "websocket")
    chain = _steps(result.timeline, "websocket-direct")
    assert {"upgrade", "connect no-token", "connect forged-token"} <= set(upgraded)
    assert {"open", "connect valid-token", "join", "event", "still answers"} <= set(chain)
    # on each wire, a step starts after the one it waits for
    assert upgraded["upgrade"].start_s <= upgraded["connect no-token"].start_s
    assert chain["open"].end_s <= chain["connect valid-token"].end_s
    assert chain["connect valid-token"].end_s <= chain["join"].start_s
    assert chain["join"].end_s <= chain["event"].start_s <= chain["still answers"].start_s
    assert upgraded["connect no-token"].ok and upgraded["connect forged-token"].ok  # refused
    assert all(0 <= span.start_s <= span.end_s for span in result.timeline)


def test_the_chain_runs_beside_the_refusals_over_a_slow_link(run_engine, reference_stack,
                                                             slow_link) -> None:
    """Through a proxy adding a round trip, the chain's own websocket is connected while the
    upgraded one is still being refused: the two wires overlap by whole round trips."""
    stack = reference_stack()
    port = int(stack.url.rsplit(":", 1)[1])
    proxy = slow_link.run(LatencyProxy(("127.0.0.1", port), RTT_S, lifetime_s=120).start(),
                          timeout=5)
    try:
        settings = stack.settings
        result = run_engine({"target_url": proxy.url},
                            env={"SMOKE_USERNAME": settings.username,
                                 "SMOKE_PASSWORD": settings.password})
    finally:
        slow_link.run(proxy.stop(), timeout=10)
    assert result.verdict.value == "pass", [o.check.key for o in result.outcomes
                                            if o.outcome == "failed"]
    upgraded = _steps(result.timeline, "websocket")
    chain = _steps(result.timeline, "websocket-direct")
    assert chain["connect valid-token"].start_s < upgraded["connect forged-token"].start_s
    assert chain["open"].start_s < upgraded["upgrade"].start_s

def test_verbose_prints_the_timeline_and_the_report_carries_it(run_harness) -> None:
    done = run_harness("-v")
    assert done.code == 0, done.output
    spans = done.report["timeline"]
    assert any(span["label"].startswith("GET /api/health") for span in spans)
    assert "timeline (" in done.stdout
    for line in timeline_lines(spans)[1:]:
        assert line in done.stdout


def test_timeline_lines_place_bars_on_one_scale() -> None:
    lines = timeline_lines([{"label": "GET /a -> 200", "start_ms": 0, "end_ms": 100, "ok": True},
                            {"label": "GET /b -> 500", "start_ms": 100, "end_ms": 200,
                             "ok": False}], width=10)
    assert lines[0] == "timeline (2 steps, 200 ms):"
    assert "|=====     | GET /a -> 200" in lines[1]
    assert "|     =====| GET /b -> 500 (failed)" in lines[2]

"""The run's timeline: every request and Socket.IO step with its start and end, shown by -v
and written to the JSON report, from a real run against the embedded stack."""

from __future__ import annotations

from harness.reports.terminal import timeline_lines


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
    steps = {span.label: span for span in result.timeline if span.label.startswith("socket.io")}
    chain = {label.split(": ", 1)[1]: span for label, span in steps.items()
             if label.startswith("socket.io websocket:")}
    apart = {label.split(": ", 1)[1]: span for label, span in steps.items()
             if label.startswith("socket.io websocket-direct:")}
    assert {"upgrade", "connect valid-token", "join", "event"} <= set(chain)
    assert {"open", "connect no-token", "connect forged-token"} <= set(apart)
    # the refusals run on a wire of their own, beside the chain, not before its connect
    assert apart["connect forged-token"].start_s < chain["connect valid-token"].end_s
    assert chain["upgrade"].start_s <= chain["connect valid-token"].start_s
    assert chain["connect valid-token"].end_s <= chain["join"].start_s
    assert chain["join"].end_s <= chain["event"].start_s
    assert apart["connect no-token"].ok and apart["connect forged-token"].ok  # refused
    assert all(0 <= span.start_s <= span.end_s for span in result.timeline)


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

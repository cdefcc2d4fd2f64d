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
    upgraded = {label.split(": ", 1)[1]: span for label, span in steps.items()
                if label.startswith("socket.io websocket:")}
    chain = {label.split(": ", 1)[1]: span for label, span in steps.items()
             if label.startswith("socket.io websocket-direct:")}
    assert {"upgrade", "connect no-token", "connect forged-token"} <= set(upgraded)
    assert {"open", "connect valid-token", "join", "event", "still answers"} <= set(chain)
    # the chain runs on a websocket of its own, beside the upgrade and its refusals
    assert chain["connect valid-token"].start_s < upgraded["connect forged-token"].end_s
    assert upgraded["upgrade"].start_s <= upgraded["connect no-token"].start_s
    assert chain["open"].end_s <= chain["connect valid-token"].end_s
    assert chain["connect valid-token"].end_s <= chain["join"].start_s
    assert chain["join"].end_s <= chain["event"].start_s <= chain["still answers"].start_s
    assert upgraded["connect no-token"].ok and upgraded["connect forged-token"].ok  # refused
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

"""Service-log rules over recorded log lines (Node and the reference stack)."""

from __future__ import annotations

import re

import pytest

from fixtures import evidence
from harness.config import resolve
from harness.judge.causes import Cause
from harness.judge.context import Context
from harness.judge.rules import logs
from harness.probes.logscan import port_hits, signature_hits
from harness.sanitize.redact import Redactor


@pytest.fixture(scope="module")
def ctx() -> Context:
    return Context(resolve({"target_url": "http://gw.test"}, env={}), Redactor())


def hits(ctx: Context, log: str, signature: str) -> list:
    rules = ctx.contract.service_logs
    found = next(s for s in rules.signatures if s.name == signature)
    return signature_hits(evidence.log(log), found, rules)


SIGNATURES = [
    # log, signature -> a finding?
    ("node-dual-upgrade.log", "handle-upgrade-twice", True),
    ("express-gateway.log", "hpm-missing-target", True),
    ("express-gateway.log", "handle-upgrade-twice", False),
    ("node-socketio.log", "handle-upgrade-twice", False),
    ("reference-messaging.log", "duplicate-schema-index", False),
    ("reference-messaging.log", "handle-upgrade-twice", False),
]


@pytest.mark.parametrize(("log", "signature", "expected"), SIGNATURES)
def test_log_warning(ctx: Context, log: str, signature: str, expected: bool) -> None:
    found = logs.log_warning(ctx, hits(ctx, log, signature), "meaning")
    assert (found is not None) is expected
    if found is not None:
        assert found.cause is Cause.LOG_WARNING and f"{log}:" in found.message


def test_the_finding_quotes_the_line(ctx: Context) -> None:
    found = logs.log_warning(ctx, hits(ctx, "node-dual-upgrade.log", "handle-upgrade-twice"),
                             "two websocket servers")
    assert "handleUpgrade() was called more than once with the same socket" in found.message


@pytest.mark.parametrize(("log", "ports", "expected"), [
    ("node-socketio.log", {47010}, False),
    ("node-socketio.log", {5005}, True),
    ("reference-messaging.log", {5005}, True),
    ("express-gateway.log", {47020}, False),
])
def test_running_on_another_port(ctx: Context, log: str, ports: set[int],
                                 expected: bool) -> None:
    found = logs.log_warning(ctx, port_hits(evidence.log(log), ctx.contract.service_logs,
                                            ports), "a service runs on another port")
    assert (found is not None) is expected


def test_many_hits_are_counted_not_all_quoted(ctx: Context) -> None:
    [hit] = hits(ctx, "node-dual-upgrade.log", "handle-upgrade-twice")
    found = logs.log_warning(ctx, [hit] * 5, "m")
    assert found.message.count("handleUpgrade") == logs.LOG_LINES_SHOWN
    assert "(+2 more)" in found.message


@pytest.mark.parametrize(("line", "port"), [
    ("Messaging Service running on port 5005", 5005),
    ("Chat Service is running: http://localhost:3002", 3002),
    ("API gateway listening on http://127.0.0.1:4000, proxying to http://127.0.0.1:5005", 4000),
    ("listening on 3002", 3002),
    ("Server läuft auf http://localhost:3002", 3002),
    ("connecting to redis://localhost:6379", None),
])
def test_start_lines_in_their_usual_forms(line: str, port: int | None) -> None:
    from harness.contract.model import ServiceLogs

    found = re.search(ServiceLogs().port_pattern, line)
    assert (int(found.group(1)) if found else None) == port

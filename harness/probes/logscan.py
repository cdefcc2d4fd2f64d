"""Service-log scan: known warning lines of the service's current start only.

A log file often holds several starts; warnings printed by an earlier start are not today's
problem. The scan starts at the last line matching the contract's start marker (by default
its "running on port N" pattern) and reads at most the last few MiB of the file.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from harness.contract.model import LogSignature, ServiceLogs
from harness.records.evidence import LogHit
from harness.records.keys import PORT_CHECK
from harness.records.plan import LogScan

LINE_CHARS = 240
TAIL_BYTES = 4 * 1024 * 1024


def current_start(path: str, rules: ServiceLogs) -> list[tuple[int, str]]:
    """(line number, line) of the current start: from the last start line to the end.

    A start line is one matching `start_marker` when the contract sets it, else its
    `port_pattern`; the lines printed just before it (the seed's warnings at start-up, within
    `start_preamble_lines`) belong to that start too.
    """
    with open(path, "rb") as handle:
        handle.seek(0, 2)
        size = handle.tell()
        handle.seek(max(0, size - TAIL_BYTES))
        text = handle.read().decode("utf-8", errors="replace")
    lines = [(number, line.strip()[:LINE_CHARS])
             for number, line in enumerate(text.splitlines(), start=1) if line.strip()]
    marker = re.compile(rules.start_marker or rules.port_pattern)
    starts = [index for index, (_, line) in enumerate(lines) if marker.search(line)]
    if len(starts) < 2:
        return lines
    previous_end = starts[-2] + 1
    first = max(previous_end, starts[-1] - rules.start_preamble_lines)
    return lines[first:]


def signature_hits(path: str, signature: LogSignature, rules: ServiceLogs) -> list[LogHit]:
    """Lines of the current start where the signature's pattern matches."""
    pattern = re.compile(signature.pattern)
    return [LogHit(path, number, line) for number, line in current_start(path, rules)
            if pattern.search(line)]


def port_hits(path: str, rules: ServiceLogs, expected_ports: Collection[int]) -> list[LogHit]:
    """"running on port N" lines of the current start whose N is none of the expected ports."""
    pattern = re.compile(rules.port_pattern)
    hits = []
    for number, line in current_start(path, rules):
        match = pattern.search(line)
        if match and match.group(1).isdigit() and int(match.group(1)) not in expected_ports:
            hits.append(LogHit(path, number, line))
    return hits


def scan(log: LogScan, rules: ServiceLogs) -> list[LogHit]:
    """The hits of one planned log scan: its signature's lines, or the unexpected ports."""
    if log.signature == PORT_CHECK:
        return port_hits(log.path, rules, log.ports)
    signature = next(s for s in rules.signatures if s.name == log.signature)
    return signature_hits(log.path, signature, rules)

"""Service-log scan: the lines of a log file that match the contract's known warning signatures."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from harness.checks import Case
from harness.contract import LogSignature, ServiceLogs

PORT_CHECK = "running-on-unexpected-port"
LINE_CHARS = 240


@dataclass(frozen=True)
class LogHit:
    """One log line that matched a signature."""

    path: str
    line_no: int
    line: str

    @property
    def where(self) -> str:
        return f"{Path(self.path).name}:{self.line_no}"


@dataclass(frozen=True, repr=False)
class LogCheck(Case):
    """One signature checked against one log file (a parametrized case of the log suite)."""

    path: str
    signature: LogSignature | None

    @property
    def name(self) -> str:
        return self.signature.name if self.signature else PORT_CHECK

    @property
    def id(self) -> str:
        return f"{Path(self.path).name}-{self.name}"


def log_checks(paths: Collection[str | Path], rules: ServiceLogs) -> list[LogCheck]:
    """Every log file x (every signature + the port check)."""
    return [LogCheck(str(path), signature)
            for path in paths for signature in [*rules.signatures, None]]


def _lines(path: str) -> list[tuple[int, str]]:
    text = Path(path).read_text(encoding="utf-8", errors="replace")
    return [(number, line.strip()[:LINE_CHARS])
            for number, line in enumerate(text.splitlines(), start=1) if line.strip()]


def signature_hits(path: str, signature: LogSignature) -> list[LogHit]:
    """Lines of `path` where the signature's pattern matches."""
    pattern = re.compile(signature.pattern)
    return [LogHit(path, number, line) for number, line in _lines(path) if pattern.search(line)]


def port_hits(path: str, rules: ServiceLogs, expected_ports: Collection[int]) -> list[LogHit]:
    """"running on port N" lines whose N is none of the expected ports."""
    pattern = re.compile(rules.port_pattern)
    hits = []
    for number, line in _lines(path):
        match = pattern.search(line)
        if match and match.group(1).isdigit() and int(match.group(1)) not in expected_ports:
            hits.append(LogHit(path, number, line))
    return hits

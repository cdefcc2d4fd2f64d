"""Check records and the machine-readable JSON report (format in DESIGN.md)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from harness.sanitize.redact import Redactor

VERDICT_EXIT = {"pass": 0, "fail": 1, "error": 2}


@dataclass
class CheckRecord:
    id: str
    suite: str
    outcome: str
    cause: str | None = None
    message: str = ""
    duration_s: float = 0.0


def suite_of(nodeid: str) -> str:
    """`suites/rest/test_auth.py::...` -> `rest`; anything else -> its top folder."""
    parts = nodeid.split("::", 1)[0].split("/")
    if "suites" in parts and parts.index("suites") + 1 < len(parts) - 1:
        return parts[parts.index("suites") + 1]
    return parts[0].removesuffix(".py") if parts else "other"


def verdict_of(records: Iterable[CheckRecord], error: bool = False) -> str:
    if error:
        return "error"
    return "fail" if any(r.outcome in ("failed", "error") for r in records) else "pass"


@dataclass
class RunReport:
    target: str
    started_at: str
    verdict: str = "pass"
    duration_s: float = 0.0
    error: str | None = None
    requests_sent: int = 0
    waited_s: float | None = None
    containers: list[dict[str, str]] | None = None  # hermetic runs: name, image, log
    notes: list[str] = field(default_factory=list)

    @staticmethod
    def now() -> str:
        return datetime.now(timezone.utc).isoformat(timespec="seconds")

    def document(self, records: Iterable[CheckRecord]) -> dict:
        doc: dict = {
            "verdict": self.verdict, "target": self.target, "started_at": self.started_at,
            "duration_s": round(self.duration_s, 3), "requests_sent": self.requests_sent,
            "checks": [asdict(r) for r in sorted(records, key=lambda r: r.id)],
        }
        if self.error:
            doc["error"] = self.error
        if self.waited_s is not None:
            doc["waited_s"] = round(self.waited_s, 3)
        if self.notes:
            doc["notes"] = self.notes
        if self.containers is not None:
            doc["containers"] = self.containers
        return doc

    def write(self, path: str | Path, records: Iterable[CheckRecord], redactor: Redactor) -> None:
        text = json.dumps(self.document(records), indent=2)
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(redactor.text(text) + "\n", encoding="utf-8")

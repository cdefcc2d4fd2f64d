"""What changed since the previous sign-off: compare two JSON report documents by check id."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

FAILING = frozenset({"failed", "error", "known-issue"})
# a check's latency change is flagged when it moved by both this share and this many ms
LATENCY_SHARE, LATENCY_MS = 0.5, 100


@dataclass(frozen=True)
class LatencyChange:
    """One check timed in both runs: before, now, and whether the change is worth a look."""

    id: str
    before_ms: int
    now_ms: int

    @property
    def change_ms(self) -> int:
        return self.now_ms - self.before_ms

    @property
    def flagged(self) -> bool:
        return abs(self.change_ms) >= LATENCY_MS and \
            abs(self.change_ms) >= LATENCY_SHARE * max(self.before_ms, 1)

    def document(self) -> dict[str, object]:
        return {"id": self.id, "before_ms": self.before_ms, "now_ms": self.now_ms,
                "change_ms": self.change_ms, "flagged": self.flagged}


@dataclass(frozen=True)
class BaselineDiff:
    """Check ids, each list sorted; `unverified` failed before and did not run (or pass) now."""

    newly_failing: list[str] = field(default_factory=list)
    fixed: list[str] = field(default_factory=list)
    still_failing: list[str] = field(default_factory=list)
    unverified: list[str] = field(default_factory=list)
    previous_verdict: str = "unknown"
    previous_started_at: str = ""
    previous_target: str = ""
    previous_target_key: str = ""
    previous_contract: str = ""
    latency: list[LatencyChange] = field(default_factory=list)

    @property
    def unchanged(self) -> bool:
        return not (self.newly_failing or self.fixed or self.unverified)


def _outcomes(doc: dict) -> dict[str, str]:
    return {check["id"]: check.get("outcome", "") for check in doc.get("checks") or []}


def _latencies(doc: dict) -> dict[str, int]:
    return {check["id"]: int(check["latency_ms"]) for check in doc.get("checks") or []
            if isinstance(check.get("latency_ms"), (int, float))
            and not isinstance(check.get("latency_ms"), bool)}


def latency_changes(current: dict, baseline: dict) -> list[LatencyChange]:
    """Every check timed in both runs (by check id, whatever the port), the flagged first,
    then by the size of the change."""
    now, before = _latencies(current), _latencies(baseline)
    changes = [LatencyChange(cid, before[cid], now[cid]) for cid in now if cid in before]
    return sorted(changes, key=lambda c: (not c.flagged, -abs(c.change_ms), c.id))


def compare(current: dict, baseline: dict) -> BaselineDiff:
    """Newly failing, fixed, still failing and no-longer-verified checks of `current`."""
    now, before = _outcomes(current), _outcomes(baseline)
    failing_now = {cid for cid, outcome in now.items() if outcome in FAILING}
    failing_before = {cid for cid, outcome in before.items() if outcome in FAILING}
    gone = failing_before - failing_now
    return BaselineDiff(
        newly_failing=sorted(failing_now - failing_before),
        fixed=sorted(cid for cid in gone if now.get(cid) == "passed"),
        still_failing=sorted(failing_now & failing_before),
        unverified=sorted(cid for cid in gone if now.get(cid) != "passed"),
        previous_verdict=str(baseline.get("verdict", "unknown")),
        previous_started_at=str(baseline.get("started_at", "")),
        previous_target=str(baseline.get("target", "")),
        previous_target_key=str((baseline.get("run") or {}).get("target_key")
                                or baseline.get("target", "")),
        previous_contract=str((baseline.get("run") or {}).get("contract", "")),
        latency=latency_changes(current, baseline),
    )


def load_baseline(path: str | Path) -> dict:
    """The JSON report at `path`; ValueError (one clear line) for anything that is not one."""
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"baseline {path}: cannot read it ({exc.strerror or exc})") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"baseline {path}: not a JSON report ({exc})") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("checks"), list) \
            or "verdict" not in doc:
        raise ValueError(f"baseline {path}: not a smoke-harness JSON report "
                         "(expected an object with 'verdict' and a 'checks' list; "
                         "pass the file written by --report-json)")
    if not all(isinstance(check, dict) and isinstance(check.get("id"), str)
               for check in doc["checks"]):
        raise ValueError(f"baseline {path}: a check in 'checks' has no string 'id'")
    return doc

"""Appending a finished run to the run history (every run: CLI, pytest), from its document."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from typing import Any

from harness.config import RunConfig
from harness.history import HistoryError, HistoryStore, default_path


def history_store(config: RunConfig) -> HistoryStore | None:
    """The history this run appends to: --history PATH, else the default one; none with
    --no-history."""
    if not config.keep_history:
        return None
    return HistoryStore(config.history or default_path())


def check_history(config: RunConfig) -> None:
    """Before anything starts: an explicit --history PATH must be writable (HistoryError)."""
    store = history_store(config)
    if store is not None and config.history:
        store.writable()


def record_history(config: RunConfig, doc: dict[str, Any],
                   warn: Callable[[str], object]) -> int | None:
    """Append the run; an unwritable default history is a warning, not a failure."""
    store = history_store(config)
    if store is None:
        return None
    try:
        return store.append({k: v for k, v in doc.items() if k != "history"}, config.target_key)
    except HistoryError as exc:
        warn(f"warning: {exc}; this run is not in the history (--no-history to say so)")
        return None


LAST = "last"


def baseline_of(config: RunConfig) -> dict[str, Any] | None:
    """The baseline report: --baseline FILE, or with `--baseline last` the last run of this
    contract (same `name`) against this target in the history (None when there is none)."""
    if not config.baseline:
        return None
    if config.baseline != LAST:
        from harness.reports.baseline import load_baseline

        return load_baseline(config.baseline)
    store = history_store(config)
    if store is None:
        return None
    try:
        return store.last_document(config.contract.name, config.target_key)
    except HistoryError:
        return None


def no_previous_run(config: RunConfig) -> str:
    return (f"--baseline last: no earlier run of contract {config.contract.name!r} against "
            f"{config.target_key} in the history yet; nothing to compare")


TREND_RUNS = 10


def history_document(config: RunConfig, doc: dict[str, Any]) -> dict[str, Any] | None:
    """The last runs of this contract against this target (this run first) and each check's
    latency trend over them: median, min, max and every value, oldest first. None without a
    history (--no-history, or one that cannot be read)."""
    store = history_store(config)
    if store is None:
        return None
    try:
        runs, latencies = store.recent(config.contract.name, config.target_key, TREND_RUNS - 1)
    except HistoryError:
        return None
    this = {"started_at": doc.get("started_at"), "verdict": doc.get("verdict"),
            "causes": [root.get("cause") for root in doc.get("root_causes") or []],
            "requests_sent": doc.get("requests_sent"), "duration_s": doc.get("duration_s"),
            "this_run": True}
    listed = [this] + [{"started_at": run.started_at, "verdict": run.verdict,
                        "causes": run.causes, "requests_sent": run.requests_sent,
                        "duration_s": run.duration_s, "this_run": False} for run in runs]
    oldest_first = [run.id for run in reversed(runs)]
    trends = []
    for check in doc.get("checks") or []:
        before = latencies.get(check["id"], {})
        values = [before[run_id] for run_id in oldest_first if run_id in before]
        if check.get("latency_ms") is not None:
            values.append(check["latency_ms"])
        if values:
            trends.append({"id": check["id"], "runs": len(values),
                           "median_ms": round(statistics.median(values)),
                           "min_ms": min(values), "max_ms": max(values),
                           "now_ms": check.get("latency_ms"), "values_ms": values})
    return {"target_key": config.target_key, "contract": config.contract.name,
            "runs": listed, "latency": trends}

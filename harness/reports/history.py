"""Appending a finished run to the run history (every run: CLI, pytest), from its document."""

from __future__ import annotations

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
        return store.append(doc, config.target_key)
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

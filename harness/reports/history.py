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

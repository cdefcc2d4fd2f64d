"""The request ledger: what this machine sent to a target under some route prefixes within a
sliding window, read from the history (every run's requests per path, and watch's polls)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from harness.history.store import HistoryStore


def sent_under(path: Path, target_key: str, prefixes: Sequence[str], window_s: float,
               now: float | None = None) -> int:
    """Requests sent to `target_key` under any of `prefixes` in the last `window_s` seconds
    (0 when there is no history yet: reading never creates it)."""
    if not path.exists():
        return 0
    since = (time.time() if now is None else now) - window_s
    sent = HistoryStore(path).sent_since(target_key, since)
    return sum(count for route, count in sent.items()
               if any(route.startswith(prefix) for prefix in prefixes))

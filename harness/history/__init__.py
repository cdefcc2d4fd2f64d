"""The run history: every run's report, appended to a local SQLite database, and read back.

Owns the store (`store`: the schema, WAL, short transactions, a file only its owner reads),
the request ledger read from it (`ledger`: what this machine sent to a target per route
prefix within a window) and where it lives by default
(`$XDG_STATE_HOME/smoke-harness/history.sqlite`, else
`~/.local/state/smoke-harness/history.sqlite`). It stores what the JSON report holds, which is
already redacted; it never sees a secret.

May import: nothing else of the harness.
"""

from harness.history.store import HistoryError, HistoryStore, default_path

__all__ = ["HistoryError", "HistoryStore", "default_path"]

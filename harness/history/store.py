"""The history database: one row per run, one per check, written in one short transaction.

Concurrent writers (two terminals, xdist's controller beside another run) are safe: the
database runs in WAL mode with a busy timeout, and each run is one `BEGIN IMMEDIATE` insert.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at TEXT NOT NULL,
    target TEXT NOT NULL,
    target_key TEXT NOT NULL,
    contract TEXT NOT NULL,
    contract_sha256 TEXT,
    verdict TEXT NOT NULL,
    duration_s REAL,
    requests_sent INTEGER,
    rate_limit TEXT,
    root_causes TEXT NOT NULL,
    document TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS checks (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    check_id TEXT NOT NULL,
    outcome TEXT NOT NULL,
    cause TEXT,
    latency_ms INTEGER
);
CREATE INDEX IF NOT EXISTS runs_by_target ON runs (contract, target_key, id);
CREATE TABLE IF NOT EXISTS sent (
    target_key TEXT NOT NULL,
    path TEXT NOT NULL,
    count INTEGER NOT NULL,
    at REAL NOT NULL,
    run_id INTEGER
);
CREATE INDEX IF NOT EXISTS sent_by_target ON sent (target_key, at);
"""
BUSY_TIMEOUT_S = 10.0


class HistoryError(Exception):
    """The history database cannot be opened or written."""


def default_path(env: Mapping[str, str] | None = None) -> Path:
    """`$XDG_STATE_HOME/smoke-harness/history.sqlite`, else under `~/.local/state`."""
    env = os.environ if env is None else env
    base = env.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "smoke-harness" / "history.sqlite"


@dataclass(frozen=True)
class Run:
    """One run as the history lists it."""

    id: int
    started_at: str
    target: str
    contract: str
    verdict: str
    duration_s: float
    requests_sent: int
    causes: list[str]


class HistoryStore:
    """The history at `path` (created with mode 0600, its directory 0700, when missing)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def _connect(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            if not self.path.exists():
                self.path.touch(mode=0o600)
            os.chmod(self.path, 0o600)
            connection = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S,
                                         isolation_level=None)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.executescript(SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise HistoryError(f"the run history {self.path} cannot be used: {exc}") from None
        return connection

    def writable(self) -> None:
        """Raise HistoryError unless the history can be opened for writing."""
        self._connect().close()

    def append(self, document: Mapping[str, Any], target_key: str,
               at: float | None = None) -> int:
        """Store one run's (redacted) report document, and what it sent per path into the
        request ledger at `at` (default: now, the run's end); its id."""
        run = document.get("run") or {}
        causes = [root.get("cause") for root in document.get("root_causes") or []]
        connection = self._connect()
        try:
            connection.execute("BEGIN IMMEDIATE")
            cursor = connection.execute(
                "INSERT INTO runs (started_at, target, target_key, contract, contract_sha256, "
                "verdict, duration_s, requests_sent, rate_limit, root_causes, document) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (document.get("started_at") or "", str(document.get("target") or ""),
                 target_key, str(run.get("contract") or ""), run.get("contract_sha256"),
                 str(document.get("verdict")), document.get("duration_s"),
                 document.get("requests_sent"), json.dumps(document.get("rate_limit")),
                 json.dumps(causes), json.dumps(document)))
            run_id = int(cursor.lastrowid or 0)
            connection.executemany(
                "INSERT INTO checks (run_id, check_id, outcome, cause, latency_ms) "
                "VALUES (?, ?, ?, ?, ?)",
                [(run_id, check.get("id"), check.get("outcome"), check.get("cause"),
                  check.get("latency_ms")) for check in document.get("checks") or []])
            _insert_sent(connection, target_key, document.get("requests_by_path") or {},
                         time.time() if at is None else at, run_id)
            connection.execute("COMMIT")
            return run_id
        except sqlite3.Error as exc:
            connection.execute("ROLLBACK")
            raise HistoryError(f"the run history {self.path} cannot be written: {exc}") from None
        finally:
            connection.close()

    def record_sent(self, target_key: str, by_path: Mapping[str, int],
                    at: float | None = None) -> None:
        """Requests sent outside a run (watch's polling) into the ledger."""
        connection = self._connect()
        try:
            connection.execute("BEGIN IMMEDIATE")
            _insert_sent(connection, target_key, by_path, time.time() if at is None else at)
            connection.execute("COMMIT")
        except sqlite3.Error as exc:
            connection.execute("ROLLBACK")
            raise HistoryError(f"the run history {self.path} cannot be written: {exc}") from None
        finally:
            connection.close()

    def sent_since(self, target_key: str, since: float) -> dict[str, int]:
        """The ledger: requests this machine sent to the target per path since `since`."""
        connection = self._connect()
        try:
            rows = connection.execute(
                "SELECT path, SUM(count) FROM sent WHERE target_key = ? AND at >= ? "
                "GROUP BY path", (target_key, since)).fetchall()
        finally:
            connection.close()
        return {path: int(count) for path, count in rows}

    def runs(self, target: str | None = None, limit: int = 20) -> list[Run]:
        """The latest runs, newest first (of one target: its URL or its key)."""
        connection = self._connect()
        try:
            where, args = ("WHERE target_key = ? OR target LIKE ?", [target, f"{target}%"]) \
                if target else ("", [])
            rows = connection.execute(
                f"SELECT id, started_at, target, contract, verdict, duration_s, requests_sent, "
                f"root_causes FROM runs {where} ORDER BY id DESC LIMIT ?",
                [*args, limit]).fetchall()
        finally:
            connection.close()
        return [Run(row[0], row[1], row[2], row[3], row[4], row[5] or 0.0, row[6] or 0,
                    json.loads(row[7])) for row in rows]

    def last_document(self, contract: str, target_key: str) -> dict[str, Any] | None:
        """The report document of the last run of this contract against this target."""
        connection = self._connect()
        try:
            row = connection.execute(
                "SELECT document FROM runs WHERE contract = ? AND target_key = ? "
                "ORDER BY id DESC LIMIT 1", (contract, target_key)).fetchone()
        finally:
            connection.close()
        return json.loads(row[0]) if row else None

    def recent(self, contract: str, target_key: str, limit: int = 10,
               ) -> tuple[list[Run], dict[str, dict[int, int]]]:
        """The last `limit` runs of this contract against this target, newest first, and
        each check's latency in them (check id -> run id -> ms)."""
        connection = self._connect()
        try:
            rows = connection.execute(
                "SELECT id, started_at, target, contract, verdict, duration_s, requests_sent, "
                "root_causes FROM runs WHERE contract = ? AND target_key = ? "
                "ORDER BY id DESC LIMIT ?", (contract, target_key, limit)).fetchall()
            ids = [row[0] for row in rows]
            marks = ",".join("?" * len(ids))
            timed = connection.execute(
                f"SELECT run_id, check_id, latency_ms FROM checks WHERE run_id IN ({marks}) "
                "AND latency_ms IS NOT NULL", ids).fetchall() if ids else []
        finally:
            connection.close()
        latencies: dict[str, dict[int, int]] = {}
        for run_id, check_id, ms in timed:
            latencies.setdefault(check_id, {})[run_id] = ms
        runs = [Run(row[0], row[1], row[2], row[3], row[4], row[5] or 0.0, row[6] or 0,
                    json.loads(row[7])) for row in rows]
        return runs, latencies

def _insert_sent(connection: sqlite3.Connection, target_key: str, by_path: Mapping[str, int],
                 at: float, run_id: int | None = None) -> None:
    connection.executemany(
        "INSERT INTO sent (target_key, path, count, at, run_id) VALUES (?, ?, ?, ?, ?)",
        [(target_key, str(path), int(count), at, run_id) for path, count in by_path.items()
         if count])

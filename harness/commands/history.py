"""`python -m harness history [URL]`: the runs this machine made, newest first."""

from __future__ import annotations

import sys
from pathlib import Path

from harness.history import HistoryError, HistoryStore, default_path
from harness.sanitize.escape import escape_control


def list_runs(target: str | None, path: str | None, limit: int) -> int:
    """One line per run: when, verdict, the causes, requests, duration, target."""
    where = Path(path) if path else default_path()
    if not where.exists():
        print(f"no runs yet: {where} does not exist (every run appends to it)")
        return 0
    try:
        runs = HistoryStore(where).runs(target, limit)
    except HistoryError as exc:
        print(f"smoke-harness: {exc}", file=sys.stderr)
        return 2
    if not runs:
        print(f"no runs{f' against {target}' if target else ''} in {where}")
        return 0
    for run in runs:
        causes = ", ".join(run.causes) if run.causes else "-"
        print(escape_control(f"{run.started_at}  {run.verdict.upper():<12} {run.requests_sent:>3} "
                             f"requests {run.duration_s:6.2f} s  {run.contract}  {run.target}"
                             f"  causes: {causes}"))
    return 0

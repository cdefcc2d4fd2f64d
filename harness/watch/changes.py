"""What tells watch that the target changed: the health answer's restart field (or its status,
or its coming back), a service log's new start line, the ngrok agent's public URL, a compose
service's start time. Each detector returns what it saw: a change (verify now) or a note."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.contract.paths import dig
from harness.records.http import HttpAnswer


@dataclass(frozen=True)
class Seen:
    """What a detector saw: `change` (run now) or only a `note` to print, or nothing."""

    change: str | None = None
    note: str | None = None


def restarted(field: str, before: Any, now: Any) -> bool:
    """An uptime that went back, any other restart field that changed."""
    numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (before, now))
    if "uptime" in field.lower() and numbers:
        return now < before
    return now != before


def _shown(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 40 else text[:37] + "..."


class HealthWatch:
    """The health route as polled: its restart field (the first of `fields` its answer has),
    its status, whether it answers at all."""

    def __init__(self, path: str, fields: Sequence[str]) -> None:
        self.path = path
        self.fields = list(fields)
        self.field: str | None = None
        self.value: Any = None
        self.status: int | None = None
        self.seen = False
        self.down = False

    def reset(self) -> None:
        """Another target (a new tunnel URL): its next answer is a first one."""
        self.seen = self.down = False
        self.field = self.value = self.status = None

    def _restart_value(self, body: Any) -> tuple[str | None, Any]:
        for field in self.fields:
            value = dig(body, field)
            if value is not None:
                return field, value
        return None, None

    def describe(self) -> str:
        """How restarts are told, once the first answer is in."""
        if self.field is not None:
            return f"restarts are told by {self.path}'s {self.field}"
        return (f"{self.path} has none of {', '.join(self.fields)}: a restart is seen only when "
                "health stops answering and comes back (health.restart_fields)")

    def see(self, answer: HttpAnswer) -> Seen:
        if answer.status is None:
            if self.down:
                return Seen()
            self.down = True
            return Seen(note=f"{self.path} does not answer ({answer.error}); waiting for it")
        field, value = self._restart_value(answer.json())
        first, was_down = not self.seen, self.down
        before_field, before, before_status = self.field, self.value, self.status
        self.seen, self.down = True, False
        self.status = answer.status
        if field is not None:
            self.field, self.value = field, value
        if first:
            return Seen()
        if field is not None and field == before_field and restarted(field, before, value):
            how = "went back" if "uptime" in field.lower() else "changed"
            return Seen(change=f"{self.path} {field} {how} ({_shown(before)} -> "
                               f"{_shown(value)}): restarted")
        if was_down:
            return Seen(change=f"{self.path} answers again ({answer.status})")
        if answer.status != before_status:
            return Seen(change=f"{self.path} now answers {answer.status} (was {before_status})")
        return Seen()


class LogWatch:
    """A service log's start lines (the contract's start marker, else its port pattern)."""

    def __init__(self, path: str, marker: str) -> None:
        self.path = path
        self.marker = re.compile(marker)
        self.starts, self.last = self._read()
        self.unreadable = False

    def _read(self) -> tuple[int, str]:
        try:
            text = Path(self.path).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return 0, ""
        starts = [line for line in text.splitlines() if self.marker.search(line)]
        return len(starts), starts[-1] if starts else ""

    def see(self) -> Seen:
        starts, last = self._read()
        new = starts > self.starts or (last and last != self.last)
        self.starts, self.last = starts, last
        if new:
            return Seen(change=f"{self.path}: a new start line: {_shown(last.strip())}")
        return Seen()


class ValueWatch:
    """A value read for free (the ngrok agent's public URL, compose services' start times):
    a change when it differs from the last reading; a failed reading is a note, once."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.value: Any = None
        self.failing = False

    def see(self, value: Any, error: str | None = None) -> Seen:
        if error is not None:
            if self.failing:
                return Seen()
            self.failing = True
            return Seen(note=f"{self.what}: {error}")
        self.failing = False
        before, self.value = self.value, value
        if before is None or before == value:
            return Seen()
        return Seen(change=self.describe(before, value))

    def describe(self, before: Any, now: Any) -> str:
        if isinstance(now, dict):
            changed = sorted(name for name in now if before.get(name) != now[name])
            return f"{self.what}: {', '.join(changed) or 'a service'} restarted"
        return f"{self.what}: {_shown(before)} -> {now}"

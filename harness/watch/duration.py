"""Durations as people write them: `90`, `90s`, `5m`, `1h30m`, `2.5 min`."""

from __future__ import annotations

import re

UNITS = {"": 1.0, "s": 1.0, "sec": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0}
PART = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(s|sec|min|m|h|)\s*", re.IGNORECASE)


def parse_duration(text: str) -> float:
    """Seconds; ValueError (one sentence) for anything else or for zero."""
    rest, seconds = text.strip(), 0.0
    if not rest:
        raise ValueError("a duration is empty")
    while rest:
        match = PART.match(rest)
        if match is None or not match.group(0):
            raise ValueError(f"{text!r} is not a duration (e.g. 90s, 5m, 1h30m)")
        seconds += float(match.group(1)) * UNITS[match.group(2).lower()]
        rest = rest[match.end():]
    if seconds <= 0:
        raise ValueError(f"{text!r}: a duration must be longer than 0 s")
    return seconds


def shown(seconds: float) -> str:
    """90 -> `90 s`, 900 -> `15 min`, 3600 -> `1 h`."""
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{seconds / 3600:g} h"
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds / 60:g} min"
    return f"{round(seconds, 1):g} s"

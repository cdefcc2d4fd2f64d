"""The embedded reference stack: a Python gateway and messaging service with switchable faults."""

from __future__ import annotations

from typing import Any

from harness.stacks.reference.faults import FAULTS, VARIANTS, parse_faults

__all__ = ["FAULTS", "VARIANTS", "ReferenceStack", "parse_faults"]


def __getattr__(name: str) -> Any:
    """ReferenceStack is imported on first use: its servers' imports are heavy (~0.3 s)."""
    if name == "ReferenceStack":
        from harness.stacks.reference.stack import ReferenceStack

        return ReferenceStack
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

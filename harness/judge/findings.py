"""A finding is a failed contract: a typed cause, what was seen, the evidence, a reproduction."""

from __future__ import annotations

from dataclasses import dataclass

from harness.judge.causes import Cause


@dataclass(frozen=True)
class Finding:
    """Messages and evidence are already redacted and escaped by whoever built the finding."""

    cause: Cause
    message: str
    evidence: str = ""
    reproduce: str = ""
    latency_ms: int | None = None
    dependency: str | None = None

    @property
    def next_step(self) -> str:
        return self.cause.next_step

    def render(self) -> str:
        lines = [f"[{self.cause.code}] {self.message}"]
        if self.evidence:
            lines.append(f"  evidence: {self.evidence}")
        lines.append(f"  next step: {self.next_step}")
        if self.reproduce:
            lines.append(f"  reproduce: {self.reproduce}")
        return "\n".join(lines)

"""A finding is a failed contract: a cause code, the evidence, and the next step."""

from __future__ import annotations

from dataclasses import dataclass

from harness.causes import cause as lookup_cause


@dataclass(frozen=True)
class Finding:
    cause: str
    message: str
    evidence: str = ""
    detail: str = ""

    @property
    def next_step(self) -> str:
        return lookup_cause(self.cause).next_step

    @property
    def severity(self) -> str:
        return lookup_cause(self.cause).severity

    def render(self) -> str:
        lines = [f"[{self.cause}] {self.message}"]
        if self.evidence:
            lines.append(f"  evidence: {self.evidence}")
        lines.append(f"  next step: {self.next_step}")
        return "\n".join(lines)


class ContractViolation(AssertionError):
    """Raised by a check whose contract does not hold; pytest reports it as a failure."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.render())
        self.finding = finding


class NotAContractFailure(Exception):
    """Raised when the target could not be judged (e.g. 429): the check is skipped, not failed."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.render())
        self.finding = finding


def violate(finding: Finding | None) -> None:
    """Fail the current check when there is a finding; rate limits skip instead."""
    if finding is None:
        return
    if finding.cause == "rate-limited":
        raise NotAContractFailure(finding)
    raise ContractViolation(finding)

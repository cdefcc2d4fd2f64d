"""Why a stack did not start, as types the engine catches without importing Docker."""

from __future__ import annotations


class StackStartError(Exception):
    """A started stack (containers, a compose project) could not be brought up.

    `target` names the stack as the report shows it ("hermetic containers smoke-1a2b").
    """

    target: str = ""


class HermeticError(StackStartError):
    """The containers could not be started (no Docker, missing image, a service never ready)."""


class ServiceStartFailed(HermeticError):
    """A service crashed or never became ready: which one, its exit code, its last log lines."""

    def __init__(self, message: str, service: str, exit_code: int | None,
                 log_tail: list[str]) -> None:
        super().__init__(message)
        self.service = service
        self.exit_code = exit_code
        self.log_tail = log_tail

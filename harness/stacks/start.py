"""Start the platform a run tests when it has no URL: the embedded stack, or containers."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from harness.config import Credentials, RunConfig

EMBEDDED_ORIGIN = "http://localhost:3000"  # the browser app the reference stack serves


@dataclass
class StartedStack:
    """A running stack: the config pointed at it, what to say about it, how to stop it."""

    config: RunConfig
    label: str
    handle: Any = None
    notes: list[str] = field(default_factory=list)
    log_files: list[str] = field(default_factory=list)

    def stop(self) -> None:
        if self.handle is not None:
            self.handle.stop()
            self.handle = None

    def container_logs(self, redactor: Any) -> list[dict[str, str]] | None:
        collect = getattr(self.handle, "collect_logs", None)
        return [log.document(redactor) for log in collect()] if collect else None


def start_stack(config: RunConfig, say: Callable[[str], object] = print) -> StartedStack:
    """The embedded reference stack, hermetic containers or a compose project, per config."""
    if config.stack == "url":
        assert config.url is not None
        return StartedStack(config, config.url)
    if config.stack == "embedded":
        return _embedded(config)
    if config.stack == "hermetic":
        return _hermetic(config, say)
    return _compose(config, say)


def _embedded(config: RunConfig) -> StartedStack:
    from harness.stacks.reference.stack import ReferenceStack

    log_path = Path(tempfile.mkdtemp(prefix="smoke-stack-")) / "reference.log"
    stack = ReferenceStack(list(config.faults), log_path=log_path).start()
    settings = stack.settings
    started = config.with_target(
        stack.url, credentials=replace(config.credentials, username=settings.username,
                                       password=settings.password),
        jwt_secret=settings.jwt_secret,
        expected_services=config.expected_services or stack.expected_services,
        origin=config.origin or EMBEDDED_ORIGIN)
    return StartedStack(started, f"{stack.url} (embedded reference stack)", stack)


def _hermetic(config: RunConfig, say: Callable[[str], object]) -> StartedStack:
    from harness.stacks.hermetic import HermeticStack

    stack = HermeticStack(list(config.faults), say=say, start_timeout_s=config.start_timeout_s)
    handle = StartedStack(config, "hermetic containers", stack)
    _start(stack, f"hermetic containers {stack.project}")
    secrets = stack.secrets
    handle.config = config.with_target(
        stack.url, jwt_secret=secrets.jwt_secret,
        credentials=Credentials(None, secrets.username, secrets.password),
        expected_services=config.expected_services or stack.expected_services,
        origin=config.origin or EMBEDDED_ORIGIN,
        service_logs=(*config.service_logs, *stack.log_files))
    handle.label = f"{stack.url} (hermetic containers)"
    handle.notes = list(stack.notes)
    return handle


def _compose(config: RunConfig, say: Callable[[str], object]) -> StartedStack:
    from harness.stacks.compose import ComposeStack

    compose = config.compose
    stack = ComposeStack(compose["compose_file"], compose["compose_gateway"],
                         compose.get("compose_port"), say=say,
                         start_timeout_s=config.start_timeout_s)
    handle = StartedStack(config, f"compose project {stack.project}", stack)
    _start(stack, f"compose project {stack.project}")
    handle.config = config.with_target(
        stack.url, service_logs=(*config.service_logs, *getattr(stack, "log_files", ())))
    handle.label = f"{stack.url} (compose project {stack.project})"
    handle.notes = list(stack.notes)
    return handle


def _start(stack: Any, label: str) -> None:
    """Start a container stack; a failure carries the label the report names as the target."""
    try:
        stack.start()
    except Exception as exc:
        exc.target = label  # type: ignore[attr-defined]
        raise

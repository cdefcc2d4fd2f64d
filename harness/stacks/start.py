"""The platform a run tests: prepared before the plan, started after it.

`prepare_stack(config)` says what a stack will provide before anything starts (credentials,
the signing secret, the origin, a service map, the service logs it writes: not its port), so
the run plans once from that; `PreparedStack.start()` starts it and points the config at it.
A URL is a stack that is already there; `ngrok` asks the local agent for its public URL.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from harness.config import ConfigError, Credentials, RunConfig
from harness.stacks.errors import StackStartError

EMBEDDED_ORIGIN = "http://localhost:3000"  # the browser app the reference stack serves
NOT_STARTED = "(known once started)"


@dataclass
class StartedStack:
    """A running stack: the config pointed at it, what to say about it, how to stop it."""

    config: RunConfig
    label: str
    handle: Any = None
    notes: list[str] = field(default_factory=list)

    def stop(self) -> None:
        if self.handle is not None:
            self.handle.stop()
            self.handle = None

    def container_logs(self, redactor: Any) -> list[dict[str, str]] | None:
        collect = getattr(self.handle, "collect_logs", None)
        return [log.document(redactor) for log in collect()] if collect else None


@dataclass
class PreparedStack:
    """A stack that is not started yet: `config` holds what it will provide."""

    config: RunConfig
    label: str
    handle: Any = None
    starter: Callable[[PreparedStack], StartedStack] | None = None

    def start(self) -> StartedStack:
        if self.starter is None:
            assert self.config.url is not None
            return StartedStack(self.config, self.label)
        return self.starter(self)


def prepare_stack(config: RunConfig, say: Callable[[str], object] = print) -> PreparedStack:
    """The embedded reference stack, hermetic containers, a compose project, the ngrok
    agent's URL or the URL itself, with what each will provide; nothing starts. Unknown
    fault names are a ConfigError, and so is an `--ngrok-api` given where no agent answers
    (the agent is read here, before anything is sent to the target)."""
    if config.stack in ("embedded", "hermetic"):
        _check_faults(config.faults)
    if config.ngrok_api and config.stack != "ngrok":
        _check_agent(config.ngrok_api, config.timeout_s)
    if config.stack == "url":
        assert config.url is not None
        return PreparedStack(config, config.url)
    if config.stack == "ngrok":
        return PreparedStack(config, f"the ngrok agent at {config.ngrok_api}",
                             starter=_start_ngrok)
    if config.stack == "embedded":
        return _embedded(config)
    if config.stack == "hermetic":
        return _hermetic(config, say)
    return _compose(config, say)


def _check_faults(faults: tuple[str, ...]) -> None:
    from harness.stacks.reference.faults import parse_faults

    try:
        parse_faults(faults)
    except ValueError as exc:
        raise ConfigError(f"--fault: {exc}") from None


def _check_agent(api: str, timeout_s: float) -> None:
    from harness.probes.ngrok_agent import NgrokAgentError, fetch_tunnels

    try:
        fetch_tunnels(api, timeout_s)
    except NgrokAgentError as exc:
        raise ConfigError(f"--ngrok-api {api}: {exc}") from None


def _start_ngrok(prepared: PreparedStack) -> StartedStack:
    """The public URL the local ngrok agent serves (its https tunnel, else its first)."""
    from harness.probes.ngrok_agent import NgrokAgentError, public_tunnel

    config = prepared.config
    api = config.ngrok_api or ""
    try:
        tunnel = public_tunnel(api, config.timeout_s)
    except NgrokAgentError as exc:
        error = StackStartError(f"target `ngrok`: {exc}")
        error.target = prepared.label
        raise error from None
    url = tunnel.public_url.rstrip("/")
    return StartedStack(config.with_target(url, tunnel=tunnel.name or None),
                        f"{url} (from the ngrok agent at {api})")


def _embedded(config: RunConfig) -> PreparedStack:
    from harness.stacks.reference.settings import ReferenceSettings
    from harness.stacks.reference.stack import ReferenceStack

    log_path = Path(tempfile.mkdtemp(prefix="smoke-stack-")) / "reference.log"
    settings = ReferenceSettings.from_env()
    stack = ReferenceStack(list(config.faults), settings=settings, log_path=log_path)
    identities = {"peer": Credentials(None, settings.peer_username, settings.peer_password),
                  "outsider": Credentials(None, settings.outsider_username,
                                          settings.outsider_password)}
    provided = replace(
        config, credentials=replace(config.credentials, username=settings.username,
                                    password=settings.password),
        identities={**identities, **config.identities},
        jwt_secret=settings.jwt_secret,
        expected_services=config.expected_services or {"messaging": NOT_STARTED},
        origin=config.origin or EMBEDDED_ORIGIN)

    def start(prepared: PreparedStack) -> StartedStack:
        stack.start()
        started = prepared.config.with_target(
            stack.url, expected_services=config.expected_services or stack.expected_services)
        return StartedStack(started, f"{stack.url} (embedded reference stack)", stack)

    return PreparedStack(provided, "embedded reference stack", stack, start)


def _hermetic(config: RunConfig, say: Callable[[str], object]) -> PreparedStack:
    from harness.stacks.hermetic import HermeticStack

    stack = HermeticStack(list(config.faults), say=say, start_timeout_s=config.start_timeout_s)
    secrets = stack.secrets
    from harness.stacks.reference.settings import ReferenceSettings as Users

    identities = {"peer": Credentials(None, Users.peer_username, secrets.peer_password),
                  "outsider": Credentials(None, Users.outsider_username,
                                          secrets.outsider_password)}
    provided = replace(
        config, jwt_secret=secrets.jwt_secret,
        credentials=Credentials(None, secrets.username, secrets.password),
        identities={**identities, **config.identities},
        expected_services=config.expected_services or stack.expected_services,
        origin=config.origin or EMBEDDED_ORIGIN,
        service_logs=(*config.service_logs, *stack.planned_log_files))
    return _containers(provided, f"hermetic containers {stack.project}", stack,
                       "hermetic containers")


def _compose(config: RunConfig, say: Callable[[str], object]) -> PreparedStack:
    from harness.stacks.compose import ComposeStack

    compose = config.compose
    stack = ComposeStack(compose["compose_file"], compose["compose_gateway"],
                         compose.get("compose_port"), say=say,
                         start_timeout_s=config.start_timeout_s)
    provided = replace(config, service_logs=(*config.service_logs, *stack.planned_log_files))
    label = f"compose project {stack.project}"
    return _containers(provided, label, stack, label)


def _containers(provided: RunConfig, label: str, stack: Any, shown: str) -> PreparedStack:
    """A container stack, prepared: `start` brings it up and points the config at it."""
    def start(prepared: PreparedStack) -> StartedStack:
        _start(stack, label)
        return StartedStack(prepared.config.with_target(stack.url), f"{stack.url} ({shown})",
                            stack, list(stack.notes))

    return PreparedStack(provided, label, stack, start)


def _start(stack: Any, label: str) -> None:
    """Start a container stack; a failure carries the label the report names as the target."""
    try:
        stack.start()
    except StackStartError as exc:
        exc.target = label
        raise

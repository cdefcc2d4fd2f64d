"""Docker plumbing shared by hermetic and compose runs: client, labels, cleanup, interrupts."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import threading
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from harness.sanitize.redact import Redactor

# The harness removes what it starts itself (try/finally, signal handler, label sweep), so
# testcontainers' Ryuk reaper (an image that must be pulled) is off unless asked for.
os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")
os.environ.setdefault("TESTCONTAINERS_CONNECTION_MODE", "docker_host")

# testcontainers reads those variables when it is imported: import it from here only.
import docker  # noqa: E402
import docker.errors  # noqa: E402
from testcontainers.compose import DockerCompose  # noqa: E402
from testcontainers.core.container import DockerContainer  # noqa: E402
from testcontainers.core.network import Network  # noqa: E402
from testcontainers.core.wait_strategies import (  # noqa: E402
    CompositeWaitStrategy,
    HttpWaitStrategy,
    LogMessageWaitStrategy,
)

__all__ = ["CompositeWaitStrategy", "DockerCompose", "DockerContainer", "HttpWaitStrategy",
           "LogMessageWaitStrategy", "Network"]  # for hermetic.py and compose.py

RUN_LABEL = "smoke-harness.run"
RUN_ID_ENV = "SMOKE_HERMETIC_RUN_ID"
LOOPBACK = "127.0.0.1"
_RUN_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,40}$")


class HermeticError(Exception):
    """The containers could not be started (no Docker, missing image, a service never ready)."""


def docker_client(timeout: int = 60) -> Any:
    return docker.from_env(timeout=timeout)


def docker_unusable_reason() -> str | None:
    """None when a Docker engine answers; otherwise why not, in one line."""
    try:
        client = docker_client(timeout=10)
        try:
            client.ping()
        finally:
            client.close()
    except Exception as exc:
        return f"no usable Docker engine ({type(exc).__name__}: {str(exc)[:200]})"
    return None


def remove_labelled(run_id: str) -> list[str]:
    """Force-remove every container and network labelled with this run; their names."""
    client = docker_client()
    selector = {"label": f"{RUN_LABEL}={run_id}"}
    removed = []
    try:
        for container in client.containers.list(all=True, filters=selector):
            with contextlib.suppress(Exception):
                container.remove(force=True, v=True)
                removed.append(container.name)
        for network in client.networks.list(filters=selector):
            with contextlib.suppress(Exception):
                network.remove()
                removed.append(network.name)
    finally:
        client.close()
    return removed


def image_present(client: Any, image: str) -> bool:
    try:
        client.images.get(image)
    except docker.errors.ImageNotFound:
        return False
    return True


def image_available(client: Any, image: str) -> bool:
    """The image is local, or a pull of it succeeds (no registry here: it fails fast)."""
    if image_present(client, image):
        return True
    try:
        client.images.pull(image)
    except Exception:
        return False
    return True


@dataclass
class ContainerLog:
    name: str
    image: str
    log: str = ""

    def document(self, redactor: Redactor) -> dict[str, str]:
        return {"name": self.name, "image": self.image, "log": redactor.text(self.log)}


class InterruptGuard:
    """SIGINT/SIGTERM raise KeyboardInterrupt, except inside `critical()` (then on its exit).

    Docker calls that create or remove containers run as critical sections: an interrupt there
    would leave a container Python never heard of. Outside them, Ctrl-C acts at once and the
    stack's cleanup runs from the usual finally/unconfigure paths.
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self._previous: dict[int, Any] = {}
        self._depth = 0
        self._pending: int | None = None

    def install(self) -> None:
        if self._previous or threading.current_thread() is not threading.main_thread():
            return
        for sig in self.SIGNALS:
            self._previous[sig] = signal.signal(sig, self._handle)

    def uninstall(self) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous.clear()

    def _handle(self, signum: int, frame: Any) -> None:
        if self._depth:
            self._pending = signum
            return
        raise KeyboardInterrupt(signal.Signals(signum).name)

    @contextlib.contextmanager
    def critical(self, *, reraise: bool = True) -> Iterator[None]:
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
            pending, self._pending = self._pending, None
            if pending is not None and reraise and not self._depth:
                raise KeyboardInterrupt(signal.Signals(pending).name)


def run_id_from(env: Mapping[str, str]) -> str:
    run_id = env.get(RUN_ID_ENV) or uuid.uuid4().hex[:12]
    if not _RUN_ID.match(run_id):
        raise HermeticError(f"{RUN_ID_ENV}={run_id!r}: use lower-case letters, digits, '.-_'")
    return run_id


def logs_of(container: Any) -> str:
    try:
        stdout, stderr = container.get_logs()
    except Exception as exc:
        return f"(log unavailable: {type(exc).__name__})"
    return (stdout + stderr).decode("utf-8", errors="replace")

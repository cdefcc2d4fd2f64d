"""Docker plumbing shared by hermetic and compose runs: client, run labels, errors, logs.

Owns the Docker client, the labels on everything a run creates, testcontainers' settings for our
containers (`scoped_testcontainers`: passed explicitly, scoped to our calls, never through
`os.environ`), the mirroring of container logs into files, and the start errors' details.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import docker.errors
from testcontainers.core.config import ConnectionMode, testcontainers_config
from testcontainers.core.container import DockerContainer
from testcontainers.core.network import Network

from harness.sanitize.redact import Redactor
from harness.stacks.errors import HermeticError, ServiceStartFailed

__all__ = ["DockerContainer", "Network"]  # for hermetic.py

RUN_LABEL = "smoke-harness.run"
PID_LABEL = "smoke-harness.pid"
HOST_LABEL = "smoke-harness.host"
EXPIRES_LABEL = "smoke-harness.expires"
PROJECT_LABEL = "smoke-harness.project"
LEASE_LABEL = "smoke-harness.lease-s"
RUN_ID_ENV = "SMOKE_HERMETIC_RUN_ID"
LOOPBACK = "127.0.0.1"
_RUN_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,40}$")
_TRUE = ("yes", "true", "t", "y", "1")  # what testcontainers reads as true
_SETTINGS_LOCK = threading.RLock()


def run_labels(run_id: str, keep_s: float, project: str = "") -> dict[str, str]:
    """Labels on everything a run creates: whose it is and the hard bound on its life.

    Whether the run is still alive is its lease's business (harness.stacks.sweep), never the
    pid's: pid and host say who created it, for a person reading `docker ps`. The pid keeps its
    process start time ("PID:STARTTIME"), the form older harness versions sharing the daemon
    compare with, so they do not take a live run for a dead one.
    """
    labels = {RUN_LABEL: run_id, PID_LABEL: process_key(os.getpid()),
              HOST_LABEL: socket.gethostname(), EXPIRES_LABEL: str(int(time.time() + keep_s))}
    return {**labels, PROJECT_LABEL: project} if project else labels


def process_key(pid: int) -> str:
    """"PID:STARTTIME" (start time in clock ticks from /proc), "PID" where /proc is missing."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return str(pid)
    return f"{pid}:{stat.rsplit(')', 1)[1].split()[19]}"


def ryuk_disabled(env: Mapping[str, str]) -> bool:
    """Ryuk (testcontainers' reaper, an image that must be pulled) is off unless asked for.

    The harness removes what it starts itself (try/finally, signal handler, lease sweep);
    TESTCONTAINERS_RYUK_DISABLED in `env`, else ryuk.disabled in ~/.testcontainers.properties,
    decides when set.
    """
    asked = env.get("TESTCONTAINERS_RYUK_DISABLED")
    if asked is None:
        asked = testcontainers_config.tc_properties.get("ryuk.disabled")
    return True if asked is None else asked.strip().lower() in _TRUE


def connection_mode(env: Mapping[str, str]) -> ConnectionMode:
    """TESTCONTAINERS_CONNECTION_MODE in `env`, else docker_host (ports mapped on the host)."""
    asked = env.get("TESTCONTAINERS_CONNECTION_MODE")
    if not asked:
        return ConnectionMode.docker_host
    try:
        return ConnectionMode(asked)
    except ValueError:
        modes = ", ".join(mode.value for mode in ConnectionMode)
        raise HermeticError(f"TESTCONTAINERS_CONNECTION_MODE={asked!r}: use one of {modes}") \
            from None


@contextlib.contextmanager
def scoped_testcontainers(env: Mapping[str, str]) -> Iterator[None]:
    """testcontainers' Ryuk and connection-mode settings for the calls inside, from `env`.

    testcontainers keeps them in a process-wide object read from the environment at its import;
    they are set on that object for the section and put back after it, so neither the
    environment nor a caller's own use of testcontainers outside the section is changed.
    """
    config = testcontainers_config
    wanted = (ryuk_disabled(env), connection_mode(env))
    with _SETTINGS_LOCK:
        saved = (config.ryuk_disabled, config.connection_mode_override)
        config.ryuk_disabled, config.connection_mode_override = wanted
        try:
            yield
        finally:
            config.ryuk_disabled, config.connection_mode_override = saved


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


def run_id_from(env: Mapping[str, str]) -> str:
    run_id = env.get(RUN_ID_ENV) or uuid.uuid4().hex[:12]
    if not _RUN_ID.match(run_id):
        raise HermeticError(f"{RUN_ID_ENV}={run_id!r}: use lower-case letters, digits, '.-_'")
    return run_id


def log_tail(text: str, redactor: Redactor, lines: int = 20) -> list[str]:
    """The last `lines` non-empty lines of a log, redacted."""
    kept = [line for line in text.splitlines() if line.strip()][-lines:]
    return [redactor.text(line) for line in kept]


def start_failure(service: str, container_name: str, exc: Exception,
                  redactor: Redactor) -> ServiceStartFailed:
    """The engine refused to start a created container (e.g. its command does not exist)."""
    code: int | None = None
    tail: list[str] = []
    client = docker_client(timeout=10)
    try:
        found = client.containers.get(container_name)
        code = found.attrs.get("State", {}).get("ExitCode")
        tail = log_tail(found.logs().decode("utf-8", errors="replace"), redactor)
    except Exception:
        pass
    finally:
        client.close()
    reason = redactor.text(str(getattr(exc, "explanation", None) or exc))
    return ServiceStartFailed(f"service {service} could not start (exit code {code}): {reason}",
                              service, code, tail or [reason])


def log_path(project: str, service: str) -> Path:
    """Where a service's log is mirrored (known before anything starts)."""
    return Path(tempfile.gettempdir()) / f"{project}-logs" / f"{service}.log"


def follow_log(container: Any, path: Path, redactor: Redactor) -> str:
    """Mirror a container's log into `path`, live, redacted line by line, for the service-log
    scan (like a --service-log file); the file's path."""
    path.parent.mkdir(mode=0o700, exist_ok=True)
    path.touch()
    stream = container.logs(stream=True, follow=True)
    threading.Thread(target=_copy_lines, args=(stream, path, redactor),
                     name=f"log-{path.stem}", daemon=True).start()
    return str(path)


def _copy_lines(stream: Iterator[bytes], path: Path, redactor: Redactor) -> None:
    """Append complete, redacted lines from a `docker logs -f` stream until it ends."""
    pending = b""
    with contextlib.suppress(Exception), path.open("a", encoding="utf-8") as out:
        for chunk in stream:
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                out.write(redactor.text(line.decode("utf-8", errors="replace")) + "\n")
            out.flush()
        if pending:
            out.write(redactor.text(pending.decode("utf-8", errors="replace")) + "\n")


def logs_of(container: Any) -> str:
    try:
        stdout, stderr = container.get_logs()
    except Exception as exc:
        return f"(log unavailable: {type(exc).__name__})"
    return (stdout + stderr).decode("utf-8", errors="replace")

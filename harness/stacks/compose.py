"""Bring-your-own services: a user's compose project, run and torn down under a per-run name."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from harness.sanitize.redact import Redactor
from harness.stacks.docker import (
    LOOPBACK,
    ContainerLog,
    DockerCompose,
    HermeticError,
    docker_client,
    run_id_from,
)


def compose_cli_reason() -> str | None:
    """None when `docker compose` (v2, which testcontainers' DockerCompose drives) works."""
    try:
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True,
                               timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"`docker compose` could not run ({exc})"
    if probe.returncode == 0:
        return None
    legacy = " (docker-compose v1 is installed, but is not supported)" if shutil.which(
        "docker-compose") else ""
    return f"the Docker Compose v2 plugin (`docker compose`) is missing{legacy}"


class ComposeStack:
    """A user's compose project, run under a per-run project name; `url` is its gateway."""

    def __init__(self, compose_file: str | Path, gateway_service: str, gateway_port: int = 8080,
                 env: Mapping[str, str] = os.environ, start_timeout_s: int = 120,
                 say: Any = print) -> None:
        self.file = Path(compose_file).resolve()
        self.service = gateway_service
        self.port = gateway_port
        self.run_id = run_id_from(env)
        self.project = f"smoke-{self.run_id}"
        self.start_timeout_s = start_timeout_s
        self.say = say
        self.redactor = Redactor()
        self.notes: list[str] = []
        self.url = ""
        self.expected_services: dict[str, str] = {}
        self._compose: Any = None
        self._logs: list[ContainerLog] | None = None
        self._stopped = False

    def start(self) -> ComposeStack:
        if not self.file.is_file():
            raise HermeticError(f"compose file {self.file} not found")
        reason = compose_cli_reason()
        if reason:
            raise HermeticError(f"--compose-file needs `docker compose`: {reason}")
        self._compose = _ProjectCompose(context=str(self.file.parent),
                                        compose_file_name=self.file.name, project=self.project)
        try:
            self._compose.start()
            host, port = self._compose.get_service_host_and_port(self.service, self.port)
            if not port:
                raise HermeticError(f"service {self.service} publishes no port for {self.port}")
            host = LOOPBACK if host in (None, "", "0.0.0.0", "::") else host
            self.url = f"http://{host}:{port}"
            _wait_for_http(self.url, self.start_timeout_s)
        except BaseException as exc:
            self.stop()
            if isinstance(exc, (KeyboardInterrupt, HermeticError)):
                raise
            raise HermeticError(f"compose project {self.project} did not start: "
                                f"{type(exc).__name__}: {_compose_error(exc)}") from exc
        self.notes.append(f"compose project {self.project} from {self.file}; "
                          f"gateway service {self.service} on {self.url}")
        self.say(f"hermetic: {self.notes[-1]}")
        return self

    def collect_logs(self) -> list[ContainerLog]:
        """Every container of the project with its image and log (read before they go)."""
        if self._compose is not None and (self._logs is None or not self._stopped):
            try:
                containers = self._compose.get_containers(include_all=True)
            except Exception as exc:  # the project is gone or compose failed: say so
                containers = []
                self.notes.append(f"compose logs unavailable: {type(exc).__name__}")
            self._logs = [self._log_of(container) for container in containers]
        return self._logs or []

    def _log_of(self, container: Any) -> ContainerLog:
        name = container.Name or container.Service
        client = docker_client(timeout=10)
        try:
            found = client.containers.get(container.ID)
            log = found.logs().decode("utf-8", errors="replace")
            return ContainerLog(name, found.attrs["Config"]["Image"], log)
        except Exception as exc:
            return ContainerLog(name, "", f"(log unavailable: {type(exc).__name__})")
        finally:
            client.close()

    def service_logs(self) -> dict[str, str]:
        return {log.name: self.redactor.text(log.log) for log in self.collect_logs()}

    def stop(self) -> None:
        if self._stopped or self._compose is None:
            return
        self.collect_logs()
        self._stopped = True
        with contextlib.suppress(Exception):
            self._compose.stop()
        with contextlib.suppress(Exception):
            _remove_compose_project(self.project)


def _wait_for_http(url: str, timeout_s: float) -> None:
    """Until `url` gives any HTTP answer (the suites judge the routes); TimeoutError after."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            httpx.get(url, timeout=2.0)
            return
        except httpx.TransportError as exc:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url} gave no HTTP answer within {timeout_s:g} s "
                                   f"({type(exc).__name__})") from None
            time.sleep(0.25)


def _compose_error(exc: BaseException) -> str:
    stderr = getattr(exc, "stderr", None)
    if isinstance(stderr, bytes) and stderr.strip():
        return stderr.decode("utf-8", errors="replace").strip()[-800:]
    return str(exc)


def _remove_compose_project(project: str) -> None:
    client = docker_client()
    selector = {"label": f"com.docker.compose.project={project}"}
    try:
        for container in client.containers.list(all=True, filters=selector):
            container.remove(force=True, v=True)
        for network in client.networks.list(filters=selector):
            network.remove()
    finally:
        client.close()


@dataclass
class _ProjectCompose(DockerCompose):
    """DockerCompose with an explicit project name (`-p`), so a run finds its own containers."""

    project: str = ""

    @property
    def compose_command_property(self) -> list[str]:  # type: ignore[override]
        command = [*DockerCompose.compose_command_property.func(self)]  # type: ignore[attr-defined]
        return [*command[:2], "-p", self.project, *command[2:]]

"""Bring-your-own services: a user's compose project, run and torn down under a per-run name.

Owns `ComposeStack`: the file checked first (service, published port), runs whose lease expired
swept, a lease held on the daemon while the project lives, the project started with the run's
labels, every service awaited (harness.stacks.wait), its logs kept (mirrored into files named
before the start: `planned_log_files`), and at stop everything of this project, and only of it,
removed (`compose down -v`, then by label), shielded from signals. `build:` images keep one tag
per compose file and are reused.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from harness.process import signals
from harness.sanitize.redact import Redactor
from harness.stacks.composefile import ComposeFile, compose_cli_reason
from harness.stacks.docker import (
    LOOPBACK,
    ContainerLog,
    HermeticError,
    docker_client,
    follow_log,
    log_path,
    run_id_from,
    run_labels,
)
from harness.stacks.sweep import (
    COMPOSE_PROJECT_LABEL,
    Lease,
    lease_length,
    remove_run,
    sweep_stale,
)
from harness.stacks.wait import DEFAULT_START_PATTERN, Service, Waiter

__all__ = ["ComposeStack", "compose_cli_reason"]

START_TIMEOUT_S = 120
BUILD_TIMEOUT_S = 1800
RUN_BOUND_S = 3 * 3600
SECRET_ENV = ("SMOKE_PASSWORD", "SMOKE_JWT_SECRET", "SMOKE_TOKEN")


class ComposeStack:
    """A user's compose project, run under a per-run project name; `url` is its gateway."""

    def __init__(self, compose_file: str | Path, gateway_service: str,
                 gateway_port: int | None = None, env: Mapping[str, str] = os.environ,
                 start_timeout_s: float = START_TIMEOUT_S, say: Callable[[str], object] = print,
                 health_path: str = "/api/health",
                 start_pattern: str = DEFAULT_START_PATTERN, lease_s: float | None = None) -> None:
        self.file = Path(compose_file).resolve()
        self.service = gateway_service
        self.port = gateway_port
        self.run_id = run_id_from(env)
        self.project = f"smoke-{self.run_id}"
        self.lease_s = lease_length(env) if lease_s is None else lease_s
        self.start_timeout_s = start_timeout_s
        self.health_path = health_path
        self.start_pattern = re.compile(start_pattern)
        self.say = say
        self.redactor = Redactor([env[name] for name in SECRET_ENV if env.get(name)])
        self.notes: list[str] = []
        self.url = ""
        self.expected_services: dict[str, str] = {}
        self.log_files: list[str] = []  # those written: the planned ones of containers started
        self._compose = ComposeFile(self.file, self.project)
        self._lease: Lease | None = None
        self._workdir: Path | None = None
        self._logs: list[ContainerLog] = []
        self._started = False
        self._stopped = False

    def _say(self, text: str) -> None:
        self.say(f"compose: {text}")

    def _read(self) -> None:
        """The compose file, checked and read once (`docker compose config`)."""
        if self._compose.config:
            return
        if not self.file.is_file():
            raise HermeticError(f"compose file {self.file} not found")
        reason = compose_cli_reason()
        if reason:
            raise HermeticError(f"--compose-file needs `docker compose`: {reason}")
        self._compose.read()

    @property
    def planned_log_files(self) -> list[str]:
        """The service-log files `start()` writes, one per service but the gateway, known before
        it: this reads the compose file (`docker compose config`, once; `start()` uses the same
        reading). Empty when the file cannot be read: `start()` then fails, saying why. A
        service whose container never starts leaves its file empty; `log_files` lists those
        written."""
        try:
            self._read()
        except HermeticError:
            return []
        return [str(log_path(self.project, name)) for name in sorted(self._compose.services)
                if name != self.service]

    def start(self) -> ComposeStack:
        """Check the file, start the project, await every service; on failure remove it all."""
        self._read()
        planned = self.planned_log_files
        self.port = self._compose.gateway_port(self.service, self.port)
        signals.register(self, self.say)
        self._started = True
        try:
            sweep_stale(self.say)
            labels = run_labels(self.run_id, self.start_timeout_s + RUN_BOUND_S, self.project)
            self._lease = Lease(labels, self.project, self.lease_s)
            with signals.shielded():
                self._lease.acquire()
            for path in map(Path, planned):
                path.parent.mkdir(mode=0o700, exist_ok=True)
                path.write_text("")
            self._workdir = Path(tempfile.mkdtemp(prefix=f"{self.project}-"))
            self._compose.write_override(self._workdir, labels)
            self._build()
            deadline = time.monotonic() + self.start_timeout_s
            self._up(deadline)
            self._await(Waiter(deadline, self.say, self.redactor, label="compose"))
        except BaseException as exc:
            self.stop()
            if isinstance(exc, (KeyboardInterrupt, HermeticError)):
                raise
            raise HermeticError(f"compose project {self.project} did not start: "
                                f"{type(exc).__name__}: {self.redactor.text(str(exc))}") from exc
        self.notes.append(f"compose project {self.project} from {self.file}; "
                          f"gateway service {self.service} (container port {self.port}) on "
                          f"{self.url}")
        self._say(self.notes[-1])
        return self

    def _build(self) -> None:
        """Build `build:` services under their per-file tag; drop the image a rebuild replaced."""
        images = self._compose.built_images()
        if not images:
            return
        client = docker_client()
        try:
            before = {tag: _image_id(client, tag) for tag in images.values()}
            self._say(f"building {', '.join(sorted(images))} (tags {', '.join(images.values())})")
            result = self._compose.run("build", *sorted(images), timeout=BUILD_TIMEOUT_S)
            if result.returncode != 0:
                raise HermeticError(f"`docker compose build` failed for {self.file.name}: "
                                    f"{self.redactor.text(result.stderr.strip()[-800:])}")
            for tag, old in before.items():
                if old and old != _image_id(client, tag):
                    with contextlib.suppress(Exception):
                        client.images.remove(old)
        finally:
            client.close()

    def _up(self, deadline: float) -> None:
        self._say(f"starting project {self.project} from {self.file.name}")
        result = self._compose.run("up", "-d", "--no-build", "--remove-orphans",
                                   timeout=deadline - time.monotonic())
        if result.returncode == 0:
            return
        message = self.redactor.text(result.stderr.strip()[-800:])
        waiter = Waiter(deadline, self.say, self.redactor, label="compose")
        for service in self._services():  # a service that crashed explains the failure best
            service.container.reload()
            waiter.fail_if_down(service)
        raise HermeticError(f"`docker compose up` failed for project {self.project}: {message}")

    def _services(self) -> list[Service]:
        client = docker_client()
        try:
            containers = client.containers.list(
                all=True, filters={"label": f"{COMPOSE_PROJECT_LABEL}={self.project}"})
        finally:
            client.close()
        services = []
        for container in containers:
            name = container.labels.get("com.docker.compose.service", container.name)
            ports = self._compose.container_ports(name)
            published = {}
            for target in ports:
                bound = (container.attrs["NetworkSettings"].get("Ports") or {}).get(
                    f"{target}/tcp") or []
                if bound:
                    host = bound[0].get("HostIp") or LOOPBACK
                    host = LOOPBACK if host in ("0.0.0.0", "::", "") else host
                    published[target] = (host, int(bound[0]["HostPort"]))
            services.append(Service(name, container, ports, published, self.start_pattern,
                                    addressed=self._compose.addressed_ports(name)))
        return sorted(services, key=lambda service: service.name)

    def _await(self, waiter: Waiter) -> None:
        services = self._services()
        gateway = next((s for s in services if s.name == self.service), None)
        if gateway is None or self.port not in gateway.published:
            raise HermeticError(f"service {self.service} has no container with port {self.port} "
                                "published after `docker compose up`")
        host, port = gateway.published[self.port]
        self.url = f"http://{host}:{port}"
        self._say(f"awaiting {', '.join(s.name for s in services)} "
                  f"(healthcheck, else listening port or start line), then {self.health_path}")
        for service in services:  # the gateway's log names its own port, no service's port
            if service.name != self.service:  # replicas of a service share its file
                path = follow_log(service.container, log_path(self.project, service.name),
                                  self.redactor)
                self.log_files += [path] if path not in self.log_files else []
        waiter.services(services)
        waiter.health(self.url + self.health_path, gateway)

    def collect_logs(self) -> list[ContainerLog]:
        """Every container of the project with its image and log (read before they go)."""
        if self._stopped or not self._started:
            return self._logs
        client = docker_client(timeout=30)
        try:
            containers = client.containers.list(
                all=True, filters={"label": f"{COMPOSE_PROJECT_LABEL}={self.project}"})
            self._logs = [ContainerLog(c.name, c.attrs["Config"]["Image"],
                                       c.logs().decode("utf-8", errors="replace"))
                          for c in sorted(containers, key=lambda c: c.name)]
        except Exception as exc:
            self.notes.append(f"compose logs unavailable: {type(exc).__name__}")
        finally:
            client.close()
        return self._logs

    def service_logs(self) -> dict[str, str]:
        return {log.name: self.redactor.text(log.log) for log in self.collect_logs()}

    def stop(self) -> None:
        """`compose down -v`, then remove whatever still carries the project's or run's label
        (idempotent, never raises; signals arriving meanwhile wait until it is done)."""
        if self._stopped or not self._started:
            return
        with signals.shielded(reraise=False):
            self._say(f"stopping project {self.project}: removing its containers")
            with contextlib.suppress(Exception):
                self.collect_logs()
            self._stopped = True
            with contextlib.suppress(BaseException):
                self._compose.run("down", "-v", "--remove-orphans", "-t", "2", timeout=60)
            if self._lease is not None:
                self._lease.release()
            removed: list[str] = []
            with contextlib.suppress(Exception):
                removed = remove_run(self.run_id, self.project)
            if self._workdir is not None:
                shutil.rmtree(self._workdir, ignore_errors=True)
            self._say(f"project {self.project} removed"
                      + (f" (also by label: {', '.join(removed)})" if removed else ""))
            signals.unregister(self)


def _image_id(client: Any, tag: str) -> str:
    try:
        return client.images.get(tag).id
    except Exception:
        return ""

"""Hermetic runs: the platform (reference images or a compose file) in throwaway containers."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import threading
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.redact import Redactor

# The harness removes what it starts itself (try/finally, signal handler, label sweep), so
# testcontainers' Ryuk reaper (an image that must be pulled) is off unless asked for.
os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")
os.environ.setdefault("TESTCONTAINERS_CONNECTION_MODE", "docker_host")

# testcontainers reads those variables when it is imported.
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

RUN_LABEL = "smoke-harness.run"
RUN_ID_ENV = "SMOKE_HERMETIC_RUN_ID"
MESSAGING_ALIAS = "messaging"
MESSAGING_PORT = 5005
GATEWAY_PORT = 8080
START_TIMEOUT_S = 60
LOOPBACK = "127.0.0.1"
DEFAULT_MONGO_IMAGE = "mongo:7"
DEFAULT_REDIS_IMAGE = "redis:7"
LOCAL_REDIS_IMAGE = "smoke-redis:7"
DEFAULT_REFERENCE_IMAGE = "smoke-reference:latest"
BUILD_HINT = "build the local images with: bash fixtures/containers/build-images.sh"
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


def missing_images(env: Mapping[str, str] = os.environ) -> list[str]:
    """Local images a hermetic run needs and cannot find (Redis counts if either one is there)."""
    client = docker_client(timeout=10)
    try:
        redis = [env.get("SMOKE_REDIS_IMAGE") or DEFAULT_REDIS_IMAGE, LOCAL_REDIS_IMAGE]
        missing = [] if any(_present(client, image) for image in redis) else [" or ".join(redis)]
        reference = env.get("SMOKE_REFERENCE_IMAGE") or DEFAULT_REFERENCE_IMAGE
        return missing + ([] if _present(client, reference) else [reference])
    finally:
        client.close()


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


def _present(client: Any, image: str) -> bool:
    try:
        client.images.get(image)
    except docker.errors.ImageNotFound:
        return False
    return True


def _available(client: Any, image: str) -> bool:
    """The image is local, or a pull of it succeeds (no registry here: it fails fast)."""
    if _present(client, image):
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


def _run_id(env: Mapping[str, str]) -> str:
    run_id = env.get(RUN_ID_ENV) or uuid.uuid4().hex[:12]
    if not _RUN_ID.match(run_id):
        raise HermeticError(f"{RUN_ID_ENV}={run_id!r}: use lower-case letters, digits, '.-_'")
    return run_id


@dataclass(frozen=True)
class RunSecrets:
    """Credentials generated for one run; handed to the containers as env, never printed."""

    username: str = "smoke-user"
    password: str = field(default_factory=lambda: secrets.token_urlsafe(18), repr=False)
    jwt_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)

    def env(self) -> dict[str, str]:
        return {"REFERENCE_USERNAME": self.username, "REFERENCE_PASSWORD": self.password,
                "REFERENCE_JWT_SECRET": self.jwt_secret}


class HermeticStack:
    """MongoDB (if an image is available), Redis, messaging and gateway on one Docker network."""

    def __init__(self, faults: list[str] | None = None,
                 env: Mapping[str, str] = os.environ, start_timeout_s: int = START_TIMEOUT_S,
                 say: Any = print) -> None:
        self.faults = sorted(set(faults or ()))
        self.env = env
        self.run_id = _run_id(env)
        self.secrets = RunSecrets()
        self.redactor = Redactor([self.secrets.password, self.secrets.jwt_secret])
        self.start_timeout_s = start_timeout_s
        self.say = say
        self.notes: list[str] = []
        self.url = ""
        self.expected_services = {"messaging": f"http://{MESSAGING_ALIAS}:{MESSAGING_PORT}"}
        self.guard = InterruptGuard()
        self.log_dir: Path | None = None
        self.log_files: list[str] = []
        self._containers: list[tuple[str, Any]] = []
        self._network: Any = None
        self._logs: list[ContainerLog] | None = None
        self._stopped = False

    @property
    def labels(self) -> dict[str, str]:
        return {RUN_LABEL: self.run_id}

    def start(self) -> HermeticStack:
        """Start every container (and wait for it); on any error or interrupt remove them all."""
        self.guard.install()
        try:
            client = docker_client()
            try:
                images = self._choose_images(client)
            finally:
                client.close()
            network = Network(docker_network_kw={"labels": self.labels})
            network.name = f"smoke-{self.run_id}"
            with self.guard.critical():
                self._network = network.create()
            self._note(f"run {self.run_id}: network {network.name}, "
                       f"containers labelled {RUN_LABEL}={self.run_id}")
            service_env = {**self.secrets.env(), "REFERENCE_FAULTS": ",".join(self.faults)}
            if images["mongo"]:
                self._start_mongo(images["mongo"])
                service_env["MONGO_URL"] = "mongodb://mongo:27017/smoke"
            self._start_redis(images["redis"])
            service_env["REDIS_URL"] = "redis://redis:6379/0"
            self._start_messaging(images["reference"], service_env)
            self._start_gateway(images["reference"], service_env)
        except BaseException as exc:
            self.stop()
            if isinstance(exc, (KeyboardInterrupt, HermeticError)):
                raise
            raise HermeticError(self.redactor.text(f"{type(exc).__name__}: {exc}")) from exc
        return self

    def _note(self, text: str) -> None:
        self.notes.append(text)
        self.say(f"hermetic: {text}")

    def _choose_images(self, client: Any) -> dict[str, str | None]:
        mongo = self.env.get("SMOKE_MONGO_IMAGE") or DEFAULT_MONGO_IMAGE
        if not _available(client, mongo):
            self._note(f"MongoDB skipped: image {mongo} is not available locally and cannot be "
                       "pulled; the messaging service stores data in memory (mongomock)")
            mongo = None
        redis = self.env.get("SMOKE_REDIS_IMAGE") or DEFAULT_REDIS_IMAGE
        if _available(client, redis):
            self._note(f"Redis: {redis}")
        elif redis == DEFAULT_REDIS_IMAGE and _present(client, LOCAL_REDIS_IMAGE):
            self._note(f"Redis: {LOCAL_REDIS_IMAGE} (local build; {redis} is not available "
                       "and cannot be pulled)")
            redis = LOCAL_REDIS_IMAGE
        else:
            raise HermeticError(f"Redis image {redis} is not available; {BUILD_HINT}")
        reference = self.env.get("SMOKE_REFERENCE_IMAGE") or DEFAULT_REFERENCE_IMAGE
        if not _available(client, reference):
            raise HermeticError(f"service image {reference} is not available; {BUILD_HINT}")
        self._note(f"services: {reference}"
                   + (f" with faults {', '.join(self.faults)}" if self.faults else ""))
        return {"mongo": mongo, "redis": redis, "reference": reference}

    def _container(self, role: str, image: str, **kwargs: Any) -> Any:
        container = DockerContainer(image, name=f"smoke-{self.run_id}-{role}",
                                    labels={**self.labels, "smoke-harness.role": role}, **kwargs)
        return container.with_network(self._network).with_network_aliases(role)

    def _launch(self, role: str, container: Any, *strategies: Any) -> Any:
        """Create and start (a critical section), then wait (interruptible)."""
        with self.guard.critical():
            self._containers.append((role, container))
            container.start()
        if role != "gateway":
            self._follow_log(role, container)
        strategy = CompositeWaitStrategy(*strategies).with_startup_timeout(self.start_timeout_s)
        try:
            strategy.wait_until_ready(container)
        except (TimeoutError, RuntimeError) as exc:
            tail = self.redactor.text(_logs_of(container)[-1500:])
            raise HermeticError(f"{role} container not ready (timeout {self.start_timeout_s} s): "
                                f"{str(exc).split('. ')[0]}\n--- {role} log (tail) ---\n{tail}"
                                ) from exc
        return container

    def _start_mongo(self, image: str) -> None:
        self._launch("mongo", self._container("mongo", image),
                     LogMessageWaitStrategy("Waiting for connections"))

    def _start_redis(self, image: str) -> None:
        self._launch("redis", self._container("redis", image),
                     LogMessageWaitStrategy("Ready to accept connections"))

    def _start_messaging(self, image: str, env: dict[str, str]) -> None:
        command = ["python", "-m", "harness.reference", "--role", "messaging",
                   "--host", "0.0.0.0", "--port", str(MESSAGING_PORT)]
        self._launch(MESSAGING_ALIAS,
                     self._container(MESSAGING_ALIAS, image, command=command, env=dict(env)),
                     LogMessageWaitStrategy(f"Messaging Service running on port {MESSAGING_PORT}"))

    def _start_gateway(self, image: str, env: dict[str, str]) -> None:
        # port-mismatch: the gateway is configured for a port the messaging service is not on
        port = 3005 if "port-mismatch" in self.faults else MESSAGING_PORT
        command = ["python", "-m", "harness.reference", "--role", "gateway", "--host", "0.0.0.0",
                   "--port", str(GATEWAY_PORT),
                   "--messaging-url", f"http://{MESSAGING_ALIAS}:{port}"]
        gateway = self._container("gateway", image, command=command, env=dict(env))
        gateway.ports[f"{GATEWAY_PORT}/tcp"] = (LOOPBACK,)
        # Any HTTP answer on / proves the gateway serves; the suites judge the routes.
        self._launch("gateway", gateway, LogMessageWaitStrategy("API gateway running on port"),
                     HttpWaitStrategy(GATEWAY_PORT, "/").for_status_code_matching(lambda _: True))
        self.url = f"http://{LOOPBACK}:{gateway.get_exposed_port(GATEWAY_PORT)}"
        self._note(f"gateway published on {self.url}")

    def _follow_log(self, role: str, container: Any) -> None:
        """Mirror a service's log into a file, live, for the service-log scan (redacted lines).

        The gateway's log is not scanned: it names its own port, which is no service's port.
        """
        if self.log_dir is None:
            self.log_dir = Path(tempfile.mkdtemp(prefix=f"smoke-{self.run_id}-logs-"))
        path = self.log_dir / f"{role}.log"
        path.touch()
        self.log_files.append(str(path))
        stream = container.get_wrapped_container().logs(stream=True, follow=True)
        threading.Thread(target=_copy_lines, args=(stream, path, self.redactor),
                         name=f"log-{role}", daemon=True).start()

    def collect_logs(self) -> list[ContainerLog]:
        """Every started container's log (read while the containers still exist; kept)."""
        if self._logs is None or not self._stopped:
            self._logs = [ContainerLog(f"smoke-{self.run_id}-{role}", container.image,
                                       _logs_of(container))
                          for role, container in self._containers]
        return self._logs

    def service_logs(self) -> dict[str, str]:
        """Container name -> redacted log text (what the service-log scan reads)."""
        return {log.name: self.redactor.text(log.log) for log in self.collect_logs()}

    def stop(self) -> None:
        """Remove every container and the network: by object, then by label (idempotent)."""
        if self._stopped:
            return
        with self.guard.critical(reraise=False):
            self.collect_logs()
            self._stopped = True
            for _role, container in reversed(self._containers):
                with contextlib.suppress(Exception):
                    container.stop()
            if self._network is not None:
                with contextlib.suppress(Exception):
                    self._network.remove()
            with contextlib.suppress(Exception):
                remove_labelled(self.run_id)
        self.guard.uninstall()
        if self._containers or self._network is not None:
            self.say(f"hermetic: removed {len(self._containers)} container(s) and network "
                     f"smoke-{self.run_id}")


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


def _logs_of(container: Any) -> str:
    try:
        stdout, stderr = container.get_logs()
    except Exception as exc:
        return f"(log unavailable: {type(exc).__name__})"
    return (stdout + stderr).decode("utf-8", errors="replace")


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
        self.run_id = _run_id(env)
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
            HttpWaitStrategy(self.port, "/").for_status_code_matching(
                lambda _: True).with_startup_timeout(self.start_timeout_s).wait_until_ready(
                self._compose.get_container(self.service))
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
        if self._compose is not None and (self._logs is None or not self._stopped):
            logs = []
            with contextlib.suppress(Exception):
                for container in self._compose.get_containers(include_all=True):
                    out, err = self._compose.get_logs(container.Service)
                    logs.append(ContainerLog(container.Name or container.Service,
                                             container.Image or "", out + err))
            self._logs = logs
        return self._logs or []

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

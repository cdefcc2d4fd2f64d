"""Hermetic runs: MongoDB, Redis, messaging and gateway in throwaway containers."""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.sanitize.redact import Redactor
from harness.stacks.docker import (
    LOOPBACK,
    RUN_LABEL,
    CompositeWaitStrategy,
    ContainerLog,
    DockerContainer,
    HermeticError,
    HttpWaitStrategy,
    InterruptGuard,
    LogMessageWaitStrategy,
    Network,
    docker_client,
    image_available,
    image_present,
    logs_of,
    remove_labelled,
    run_id_from,
)

MESSAGING_ALIAS = "messaging"
MESSAGING_PORT = 5005
GATEWAY_PORT = 8080
START_TIMEOUT_S = 60
DEFAULT_MONGO_IMAGE = "mongo:7"
DEFAULT_REDIS_IMAGE = "redis:7"
LOCAL_REDIS_IMAGE = "smoke-redis:7"
DEFAULT_REFERENCE_IMAGE = "smoke-reference:latest"
BUILD_HINT = "build the local images with: bash fixtures/containers/build-images.sh"


def missing_images(env: Mapping[str, str] = os.environ) -> list[str]:
    """Local images a hermetic run needs and cannot find (Redis counts if either one is there)."""
    client = docker_client(timeout=10)
    try:
        redis = [env.get("SMOKE_REDIS_IMAGE") or DEFAULT_REDIS_IMAGE, LOCAL_REDIS_IMAGE]
        found = any(image_present(client, image) for image in redis)
        missing = [] if found else [" or ".join(redis)]
        reference = env.get("SMOKE_REFERENCE_IMAGE") or DEFAULT_REFERENCE_IMAGE
        return missing + ([] if image_present(client, reference) else [reference])
    finally:
        client.close()


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
        self.run_id = run_id_from(env)
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
        if not image_available(client, mongo):
            self._note(f"MongoDB skipped: image {mongo} is not available locally and cannot be "
                       "pulled; the messaging service stores data in memory (mongomock)")
            mongo = None
        redis = self.env.get("SMOKE_REDIS_IMAGE") or DEFAULT_REDIS_IMAGE
        if image_available(client, redis):
            self._note(f"Redis: {redis}")
        elif redis == DEFAULT_REDIS_IMAGE and image_present(client, LOCAL_REDIS_IMAGE):
            self._note(f"Redis: {LOCAL_REDIS_IMAGE} (local build; {redis} is not available "
                       "and cannot be pulled)")
            redis = LOCAL_REDIS_IMAGE
        else:
            raise HermeticError(f"Redis image {redis} is not available; {BUILD_HINT}")
        reference = self.env.get("SMOKE_REFERENCE_IMAGE") or DEFAULT_REFERENCE_IMAGE
        if not image_available(client, reference):
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
            tail = self.redactor.text(logs_of(container)[-1500:])
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
        command = ["python", "-m", "harness.stacks.reference", "--role", "messaging",
                   "--host", "0.0.0.0", "--port", str(MESSAGING_PORT)]
        self._launch(MESSAGING_ALIAS,
                     self._container(MESSAGING_ALIAS, image, command=command, env=dict(env)),
                     LogMessageWaitStrategy(f"Messaging Service running on port {MESSAGING_PORT}"))

    def _start_gateway(self, image: str, env: dict[str, str]) -> None:
        # port-mismatch: the gateway is configured for a port the messaging service is not on
        port = 3005 if "port-mismatch" in self.faults else MESSAGING_PORT
        command = ["python", "-m", "harness.stacks.reference", "--role", "gateway",
                   "--host", "0.0.0.0", "--port", str(GATEWAY_PORT),
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
                                       logs_of(container))
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

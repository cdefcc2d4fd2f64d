"""Hermetic runs: MongoDB, Redis, messaging and gateway in throwaway containers.

Owns the `--hermetic` stack: images chosen, a lease held on the daemon while it lives, containers
labelled and started (each creation shielded from signals), every service awaited
(harness.stacks.wait), logs mirrored for the service-log scan into files named before the start
(`planned_log_files`), and at stop everything of this run, and only of it, removed by label
(harness.stacks.sweep).
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import docker.errors

from harness.process import signals
from harness.sanitize.redact import Redactor
from harness.stacks.docker import (
    LOOPBACK,
    RUN_LABEL,
    ContainerLog,
    DockerContainer,
    HermeticError,
    Network,
    docker_client,
    follow_log,
    image_available,
    image_present,
    log_path,
    logs_of,
    run_id_from,
    run_labels,
    scoped_testcontainers,
    start_failure,
)
from harness.stacks.sweep import Lease, lease_length, remove_run, sweep_stale
from harness.stacks.wait import Service, Waiter

MESSAGING_ALIAS = "messaging"
MESSAGING_PORT = 5005
GATEWAY_PORT = 8080
START_TIMEOUT_S = 120
RUN_BOUND_S = 3 * 3600  # a run's resources older than this (plus the start bound) are swept
HEALTH_PATH = "/api/health"
START_LINES = {"mongo": "Waiting for connections", "redis": "Ready to accept connections",
               MESSAGING_ALIAS: f"Messaging Service running on port {MESSAGING_PORT}",
               "gateway": "API gateway running on port"}
DEFAULT_MONGO_IMAGE = "mongo:7"
DEFAULT_REDIS_IMAGE = "redis:7"
LOCAL_REDIS_IMAGE = "smoke-redis:7"
DEFAULT_REFERENCE_IMAGE = "smoke-reference:latest"
BUILD_HINT = "build the local images with: bash fixtures/containers/build-images.sh"
LOGGED_ROLES = ("mongo", "redis", MESSAGING_ALIAS)  # the gateway's log names its own port,
# which is no service's port: the service-log scan would take it for a wrong one


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
    peer_password: str = field(default_factory=lambda: secrets.token_urlsafe(18), repr=False)
    outsider_password: str = field(default_factory=lambda: secrets.token_urlsafe(18),
                                   repr=False)

    def env(self) -> dict[str, str]:
        return {"REFERENCE_USERNAME": self.username, "REFERENCE_PASSWORD": self.password,
                "REFERENCE_JWT_SECRET": self.jwt_secret,
                "REFERENCE_PEER_PASSWORD": self.peer_password,
                "REFERENCE_OUTSIDER_PASSWORD": self.outsider_password}


class HermeticStack:
    """MongoDB (if an image is available), Redis, messaging and gateway on one Docker network."""

    def __init__(self, faults: list[str] | None = None,
                 env: Mapping[str, str] = os.environ, start_timeout_s: float = START_TIMEOUT_S,
                 say: Callable[[str], object] = print, health_path: str = HEALTH_PATH,
                 lease_s: float | None = None) -> None:
        self.faults = sorted(set(faults or ()))
        self.env = env
        self.run_id = run_id_from(env)
        self.project = f"smoke-{self.run_id}"
        self.lease_s = lease_length(env) if lease_s is None else lease_s
        self.secrets = RunSecrets()
        self.redactor = Redactor([self.secrets.password, self.secrets.jwt_secret,
                                  self.secrets.peer_password, self.secrets.outsider_password])
        self.start_timeout_s = start_timeout_s
        self.health_path = health_path
        self.say = say
        self.notes: list[str] = []
        self.url = ""
        self.expected_services = {"messaging": f"http://{MESSAGING_ALIAS}:{MESSAGING_PORT}"}
        self.log_files: list[str] = []  # those written: the planned ones of services started
        self._log_paths = {role: log_path(self.project, role) for role in LOGGED_ROLES}
        self.labels = run_labels(self.run_id, self.start_timeout_s + RUN_BOUND_S)
        self._lease = Lease(self.labels, self.project, self.lease_s)
        self._containers: list[tuple[str, Any]] = []
        self._network: Any = None
        self._logs: list[ContainerLog] = []
        self._started = False
        self._stopped = False

    @property
    def planned_log_files(self) -> list[str]:
        """The service-log files `start()` writes (MongoDB's, Redis's, messaging's), known
        before it: a service that does not run (MongoDB without its image) leaves its file
        empty, and `log_files` lists those written."""
        return [str(path) for path in self._log_paths.values()]

    def start(self) -> HermeticStack:
        """Start and await every container; on any error or interrupt remove them all first."""
        signals.register(self, self.say)
        self._started = True
        try:
            sweep_stale(self.say)
            waiter = Waiter(time.monotonic() + self.start_timeout_s, self.say, self.redactor)
            with signals.shielded():
                self._lease.acquire()
            for path in self._log_paths.values():
                path.parent.mkdir(mode=0o700, exist_ok=True)
                path.write_text("")
            client = docker_client()
            try:
                images = self._choose_images(client)
            finally:
                client.close()
            network = Network(docker_network_kw={"labels": self.labels})
            network.name = self.project
            with signals.shielded(), scoped_testcontainers(self.env):
                network.create()
            self._network = network
            self._note(f"run {self.run_id}: network {network.name}, "
                       f"containers labelled {RUN_LABEL}={self.run_id}, lease renewed every "
                       f"{self.lease_s / 4:g} s")
            service_env = {**self.secrets.env(), "REFERENCE_FAULTS": ",".join(self.faults)}
            backing = []
            if images["mongo"]:
                backing.append(self._launch("mongo", images["mongo"], 27017))
                service_env["MONGO_URL"] = "mongodb://mongo:27017/smoke"
            backing.append(self._launch("redis", images["redis"], 6379))
            service_env["REDIS_URL"] = "redis://redis:6379/0"
            waiter.services(backing)  # before the services that connect to them
            messaging = self._launch(MESSAGING_ALIAS, images["reference"], MESSAGING_PORT,
                                     command=self._command("messaging", MESSAGING_PORT),
                                     env=dict(service_env))
            gateway = self._start_gateway(images["reference"], service_env)
            waiter.services([messaging, gateway])
            waiter.health(self.url + self.health_path, gateway)
        except BaseException as exc:
            self.stop()
            if isinstance(exc, (KeyboardInterrupt, HermeticError)):
                raise
            raise HermeticError(self.redactor.text(f"{type(exc).__name__}: {exc}")) from exc
        self._note(f"gateway published on {self.url}")
        if "redis-down" in self.faults:
            self._stop_redis()
        return self

    def _stop_redis(self) -> None:
        """The redis-down fault, for real: Redis goes away under the running services."""
        for role, container in self._containers:
            if role == "redis":
                with signals.shielded():
                    container.get_wrapped_container().stop(timeout=2)
                self._note("redis-down: the Redis container was stopped after the start")

    def _note(self, text: str) -> None:
        self.notes.append(text)
        self.say(f"hermetic: {text}")

    def _choose_images(self, client: Any) -> dict[str, str | None]:
        mongo: str | None = self.env.get("SMOKE_MONGO_IMAGE") or DEFAULT_MONGO_IMAGE
        if not image_available(client, mongo):
            self._note(f"MongoDB skipped: image {mongo} is not available locally and cannot be "
                       "pulled; the messaging service stores data in memory (mongomock); its "
                       "planned log file stays empty")
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

    @staticmethod
    def _command(role: str, port: int, *extra: str) -> list[str]:
        return ["python", "-m", "harness.stacks.reference", "--role", role,
                "--host", "0.0.0.0", "--port", str(port), *extra]

    def _launch(self, role: str, image: str, port: int, publish: bool = False,
                **kwargs: Any) -> Service:
        """Create and start one container (shielded from signals: never half-created)."""
        container = DockerContainer(image, name=f"{self.project}-{role}",
                                    labels={**self.labels, "smoke-harness.role": role}, **kwargs)
        container.with_network(self._network).with_network_aliases(role)
        if publish:
            container.ports[f"{port}/tcp"] = (LOOPBACK,)
        with signals.shielded(), scoped_testcontainers(self.env):
            self._containers.append((role, container))
            try:
                container.start()
            except docker.errors.APIError as exc:
                raise start_failure(role, f"{self.project}-{role}", exc, self.redactor) from exc
        with scoped_testcontainers(self.env):  # the connection mode decides the port read
            published = ({port: (LOOPBACK, int(container.get_exposed_port(port)))}
                         if publish else {})
        self.say(f"hermetic: started {role} ({image})")
        if role in self._log_paths:
            self.log_files.append(follow_log(container.get_wrapped_container(),
                                             self._log_paths[role], self.redactor))
        pattern = re.compile(START_LINES[role]) if role in START_LINES else None
        return Service(role, container.get_wrapped_container(), (port,), published, pattern)

    def _start_gateway(self, image: str, env: dict[str, str]) -> Service:
        # port-mismatch: the gateway is configured for a port the messaging service is not on
        port = 3005 if "port-mismatch" in self.faults else MESSAGING_PORT
        command = self._command("gateway", GATEWAY_PORT, "--messaging-url",
                                f"http://{MESSAGING_ALIAS}:{port}")
        gateway = self._launch("gateway", image, GATEWAY_PORT, publish=True, command=command,
                               env=dict(env))
        host, host_port = gateway.published[GATEWAY_PORT]
        self.url = f"http://{host}:{host_port}"
        return gateway

    def collect_logs(self) -> list[ContainerLog]:
        """Every started container's log (read while the containers exist; kept after stop)."""
        if not self._stopped:
            self._logs = [ContainerLog(f"{self.project}-{role}", container.image,
                                       logs_of(container))
                          for role, container in self._containers]
        return self._logs

    def service_logs(self) -> dict[str, str]:
        """Container name -> redacted log text (what the service-log scan reads)."""
        return {log.name: self.redactor.text(log.log) for log in self.collect_logs()}

    def stop(self) -> None:
        """Remove every container, the network and volumes of the run (idempotent, never raises;
        signals arriving meanwhile are held until the removal is done)."""
        if self._stopped or not self._started:
            return
        with signals.shielded(reraise=False):
            self.say(f"hermetic: stopping run {self.run_id}: removing its containers")
            with contextlib.suppress(Exception):
                self.collect_logs()
            self._stopped = True
            self._lease.release()
            removed: list[str] = []
            with contextlib.suppress(Exception):
                removed = remove_run(self.run_id)
            if removed:
                self.say(f"hermetic: removed {', '.join(removed)}")
            signals.unregister(self)


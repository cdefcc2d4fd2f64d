"""A user's compose file, read before anything starts: services, published ports, the override.

Owns the `docker compose` command line (each call in its own session, so a terminal's Ctrl-C
reaches the harness only, which then ends the call itself), the checks that turn a wrong
`--compose-gateway`/`--compose-port` into a sentence saying what to use, and the override file
that labels every container, network and volume of the run and gives each `build:` service one
image tag per compose file (reused by every run, not one per run).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
from pathlib import Path
from typing import Any

from harness.config import ConfigError
from harness.stacks.docker import HermeticError

# what `docker compose config` says for an unset `${VAR?message}` / `${VAR:?message}`
_UNSET = re.compile(r"required variable (?P<name>\w+) is missing a value(?::\s*(?P<why>.*))?")


def compose_cli_reason() -> str | None:
    """None when `docker compose` (v2) works; otherwise why not, with the fix."""
    try:
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True,
                               timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"`docker compose` could not run ({exc})"
    if probe.returncode == 0:
        return None
    legacy = " (docker-compose v1 is installed, but is not supported)" if shutil.which(
        "docker-compose") else ""
    return (f"the Docker Compose v2 plugin (`docker compose`) is missing{legacy}; "
            "bash fixtures/containers/install-compose.sh installs it")


class ComposeFile:
    """`docker compose -p PROJECT -f FILE [-f OVERRIDE] ...` for one run."""

    def __init__(self, path: Path, project: str) -> None:
        self.path = path
        self.project = project
        self.override: Path | None = None
        self.config: dict[str, Any] = {}

    def command(self, *args: str) -> list[str]:
        files = ["-f", str(self.path)] + (["-f", str(self.override)] if self.override else [])
        return ["docker", "compose", "-p", self.project, *files, *args]

    def run(self, *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
        """Run a compose command; on KeyboardInterrupt or timeout, end it before raising."""
        proc = subprocess.Popen(self.command(*args), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, start_new_session=True,
                                cwd=self.path.parent)
        try:
            out, err = proc.communicate(timeout=max(timeout, 1.0))
        except BaseException:
            _end(proc)
            raise
        return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)

    def read(self) -> dict[str, Any]:
        result = self.run("config", "--format", "json", timeout=60)
        if result.returncode != 0:
            unset = unset_variable(result.stderr)
            if unset:
                raise ConfigError(f"compose file {self.path}: {unset}")
            raise HermeticError(f"compose file {self.path} is not usable: "
                                f"{result.stderr.strip()[-600:]}")
        self.config = json.loads(result.stdout)
        return self.config

    @property
    def services(self) -> dict[str, Any]:
        return self.config.get("services") or {}

    def gateway_port(self, service: str, requested: int | None) -> int:
        """The gateway's container port: the requested one if the service publishes it, its only
        published port when none was requested; otherwise an error saying what to pass."""
        if service not in self.services:
            raise HermeticError(f"compose file {self.path} has no service {service!r}; its "
                                f"services: {', '.join(sorted(self.services))} "
                                "(pass one as --compose-gateway)")
        ports = published_ports(self.services[service])
        listed = ", ".join(f"{target} (host {spec})" for target, spec in ports)
        if not ports:
            raise HermeticError(
                f"service {service} publishes no port, so the harness cannot reach it: add "
                f"`ports: [\"127.0.0.1::{requested or 8080}\"]` to it in {self.path.name} "
                "(the container port its server listens on, bound to 0.0.0.0 inside)")
        targets = sorted({target for target, _spec in ports})
        if requested is None:
            if len(targets) == 1:
                return targets[0]
            raise HermeticError(f"service {service} publishes several container ports: {listed}; "
                                "say which one is the gateway with --compose-port PORT")
        if requested not in targets:
            raise HermeticError(f"service {service} does not publish container port {requested}; "
                                f"it publishes {listed}: use --compose-port {targets[0]}"
                                + (" (or another of those)" if len(targets) > 1 else "")
                                + f", or publish {requested} in {self.path.name}")
        return requested

    def container_ports(self, service: str) -> tuple[int, ...]:
        """Ports the service's server should listen on: published targets and `expose`."""
        spec = self.services.get(service) or {}
        ports = {target for target, _ in published_ports(spec)}
        for item in spec.get("expose") or []:
            match = re.match(r"(\d+)", str(item))
            if match:
                ports.add(int(match.group(1)))
        return tuple(sorted(ports))

    def addressed_ports(self, service: str) -> tuple[int, ...]:
        """Ports other services address this one by (`messaging:5005` in their environment,
        command or entrypoint): where it is expected to listen, even with no `ports`/`expose`."""
        spec = self.services.get(service) or {}
        names = {service, spec.get("hostname"), spec.get("container_name")}
        for network in (spec.get("networks") or {}).values():
            names.update((network or {}).get("aliases") or [])
        hosts = "|".join(re.escape(name) for name in sorted(n for n in names if n))
        pattern = re.compile(rf"(?<![\w.-])(?:{hosts}):(\d{{2,5}})(?!\d)")
        found: set[int] = set()
        for other, other_spec in self.services.items():
            if other == service:
                continue
            for text in _texts(other_spec):
                found.update(int(port) for port in pattern.findall(text) if int(port) < 65536)
        return tuple(sorted(found))

    def built_images(self) -> dict[str, str]:
        """`build:` services without `image:` -> the tag this compose file's builds get."""
        digest = hashlib.sha256(str(self.path).encode()).hexdigest()[:8]
        slug = re.sub(r"[^a-z0-9]+", "-", self.path.parent.name.lower()).strip("-") or "project"
        prefix = f"smoke-build-{slug}-{digest}"
        return {name: f"{prefix}-{re.sub(r'[^a-z0-9_.-]', '-', name.lower())}:latest"
                for name, spec in self.services.items()
                if spec.get("build") and not spec.get("image")}

    def write_override(self, directory: Path, labels: dict[str, str]) -> Path:
        """Labels for every service, network and volume of the run; tags for `build:` images."""
        images = self.built_images()
        override: dict[str, Any] = {"services": {
            name: {"labels": labels, **({"image": images[name]} if name in images else {})}
            for name in self.services}}
        for kind in ("networks", "volumes"):
            own = {name: {"labels": labels} for name, spec in (self.config.get(kind) or {}).items()
                   if not (spec or {}).get("external")}
            if own:
                override[kind] = own
        self.override = directory / "smoke-override.json"
        self.override.write_text(json.dumps(override))
        return self.override


def unset_variable(stderr: str) -> str | None:
    """What `docker compose config` said when a variable the file requires is unset (its
    `${VAR?message}` or `${VAR:?message}`), as a sentence naming the variable; else None."""
    match = _UNSET.search(stderr)
    if match is None:
        return None
    why = (match.group("why") or "").strip()
    return (f"the variable {match.group('name')} is not set (the file requires it"
            f"{': ' + why if why else ''}); set it in the environment or give it a default "
            "in the file")


def published_ports(spec: dict[str, Any]) -> list[tuple[int, str]]:
    """(container port, "HOST_IP:HOST_PORT") for each TCP port the service publishes."""
    ports = []
    for port in spec.get("ports") or []:
        if port.get("protocol", "tcp") == "tcp" and port.get("target"):
            host = f"{port.get('host_ip') or '0.0.0.0'}:{port.get('published') or 'random'}"
            ports.append((int(port["target"]), host))
    return ports


def _end(proc: subprocess.Popen[str]) -> None:
    """Stop a compose call (its whole session) and reap it."""
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
        if proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, sig)
            proc.wait(timeout=wait)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            continue


def _texts(spec: dict[str, Any]) -> list[str]:
    """The strings of a service's environment, command and entrypoint."""
    environment = spec.get("environment") or {}
    values = environment.values() if isinstance(environment, dict) else environment
    texts = [str(value) for value in values if value is not None]
    for key in ("command", "entrypoint"):
        item = spec.get(key) or []
        texts.extend([item] if isinstance(item, str) else [str(part) for part in item])
    return texts

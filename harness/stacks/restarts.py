"""When each service of a running compose project last started (for `watch`): read from the
Docker engine (the containers compose labelled with the file), never from the target."""

from __future__ import annotations

from pathlib import Path

from harness.stacks.docker import docker_client

CONFIG_FILES_LABEL = "com.docker.compose.project.config_files"
SERVICE_LABEL = "com.docker.compose.service"
DOCKER_TIMEOUT_S = 10


class ComposeUnreadable(Exception):
    """The Docker engine cannot be asked about the project."""


def compose_started(compose_file: str | Path) -> dict[str, str]:
    """Service -> its container's start time and restart count (`<StartedAt>#<RestartCount>`)
    for every container compose started from `compose_file` (any project name)."""
    wanted = str(Path(compose_file).resolve())
    try:
        client = docker_client(timeout=DOCKER_TIMEOUT_S)
        try:
            containers = client.containers.list(all=True, filters={"label": CONFIG_FILES_LABEL})
        finally:
            client.close()
    except Exception as exc:  # the engine's failures are many; each is one sentence here
        raise ComposeUnreadable(f"the Docker engine cannot list the containers of "
                                f"{wanted}: {type(exc).__name__}: {str(exc)[:200]}") from None
    started = {}
    for container in containers:
        files = container.labels.get(CONFIG_FILES_LABEL, "").split(",")
        if wanted not in files:
            continue
        state = container.attrs.get("State") or {}
        service = container.labels.get(SERVICE_LABEL, container.name)
        started[service] = f"{state.get('StartedAt', '')}#{container.attrs.get('RestartCount', 0)}"
    return started

"""Removing what a run created: its own resources at stop, and those of runs that died.

Everything a run creates carries the labels of `docker.run_labels` (run id, owner pid with its
start time, host, expiry). `remove_run` removes one run's containers, networks and volumes (and a
compose project's, by compose's own project label); `sweep_stale` finds runs whose process is
gone or whose expiry passed and removes them, saying what it swept.
"""

from __future__ import annotations

import contextlib
import os
import socket
import time
from collections.abc import Callable
from typing import Any

from harness.stacks.docker import (
    EXPIRES_LABEL,
    HOST_LABEL,
    PID_LABEL,
    PROJECT_LABEL,
    RUN_LABEL,
    docker_client,
    process_key,
)

COMPOSE_PROJECT_LABEL = "com.docker.compose.project"


def _selectors(run_id: str, project: str) -> list[dict[str, str]]:
    selectors = [{"label": f"{RUN_LABEL}={run_id}"}]
    return selectors + ([{"label": f"{COMPOSE_PROJECT_LABEL}={project}"}] if project else [])


def remove_run(run_id: str, project: str = "", client: Any = None) -> list[str]:
    """Force-remove the run's containers (with their anonymous volumes), networks and volumes.

    Each removal is on its own: one that fails does not stop the others. Returns what went.
    """
    own = client is None
    client = client or docker_client(timeout=30)
    removed: list[str] = []
    try:
        for selector in _selectors(run_id, project):
            for container in _listed(client.containers.list, all=True, filters=selector):
                with contextlib.suppress(Exception):
                    container.remove(force=True, v=True)
                    removed.append(f"container {container.name}")
        for selector in _selectors(run_id, project):
            for network in _listed(client.networks.list, filters=selector):
                if _retry(network.remove):
                    removed.append(f"network {network.name}")
            for volume in _listed(client.volumes.list, filters=selector):
                if _retry(lambda volume=volume: volume.remove(force=True)):
                    removed.append(f"volume {volume.name}")
    finally:
        if own:
            client.close()
    return sorted(set(removed))


def _listed(lister: Callable[..., list[Any]], **kwargs: Any) -> list[Any]:
    try:
        return lister(**kwargs)
    except Exception:
        return []


def _retry(action: Callable[[], object], tries: int = 3) -> bool:
    """Networks and volumes can be briefly in use by a container being removed."""
    for attempt in range(tries):
        try:
            action()
            return True
        except Exception:
            time.sleep(0.3 * (attempt + 1))
    return False


def is_stale(labels: dict[str, str], now: float | None = None) -> str | None:
    """Why a run with these labels is dead ("process 123 is gone", "expired ..."), else None."""
    now = time.time() if now is None else now
    with contextlib.suppress(ValueError):
        expires = float(labels.get(EXPIRES_LABEL, ""))
        if expires < now:
            return f"expired {int(now - expires)} s ago"
    owner = labels.get(PID_LABEL, "")
    if owner and labels.get(HOST_LABEL) == socket.gethostname():
        pid = owner.split(":")[0]
        if pid.isdigit() and (not _alive(int(pid)) or process_key(int(pid)) != owner):
            return f"its process {pid} is gone"
    if not owner and EXPIRES_LABEL not in labels:
        return "it carries no owner"
    return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_stale(say: Callable[[str], object] = print, client: Any = None) -> list[str]:
    """Remove the resources of harness runs that died; what was removed (and it is said)."""
    own = client is None
    try:
        client = client or docker_client(timeout=30)
    except Exception:
        return []
    try:
        runs: dict[str, dict[str, str]] = {}
        selector = {"label": RUN_LABEL}
        for lister in (lambda: client.containers.list(all=True, filters=selector),
                       lambda: client.networks.list(filters=selector),
                       lambda: client.volumes.list(filters=selector)):
            for item in _listed(lambda lister=lister: lister()):
                labels = (item.attrs.get("Labels") or item.attrs.get("Config", {}).get("Labels")
                          or {})
                runs.setdefault(labels.get(RUN_LABEL, ""), labels)
        swept: list[str] = []
        for run_id, labels in runs.items():
            why = is_stale(labels)
            if not run_id or why is None:
                continue
            removed = remove_run(run_id, labels.get(PROJECT_LABEL, ""), client)
            if removed:
                say(f"hermetic: swept {len(removed)} leftover(s) of run {run_id} ({why}): "
                    + ", ".join(removed))
                swept += removed
        return swept
    finally:
        if own:
            client.close()

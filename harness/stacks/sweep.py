"""Removing what a run created, and telling a live run from a dead one by its lease.

Everything a run creates carries the labels of `docker.run_labels` (run id, creator pid and
host, a hard expiry). `remove_run` removes one run's own containers, networks and volumes (and
its compose project's, by compose's project label), nothing else; `sweep_stale` removes the
resources of other runs whose lease expired, saying what it swept and why.

The lease. A run's liveness must be visible to every client of a shared Docker daemon: other
containers, CI jobs and machines, whose pids, files and clocks are not ours. So it is kept in
the daemon itself: a small named volume `<project>-lease-<token>-<n>` labelled with the run id
and the lease length (`LEASE_LABEL`). Labels cannot change once set, so a live run renews its
lease by creating the next volume, then removing its previous one (there is always one), every
quarter of the length, from a daemon thread while the stack is live (`Lease`). The lease runs
until the newest volume's creation time plus its length, both read on the daemon's clock
(`CreatedAt`, `docker info`'s SystemTime), so the clocks of the machines sharing the daemon do
not matter. The length is `SMOKE_HERMETIC_LEASE_S` (default 60 s): a run whose renewals stall
that long (frozen, killed, its machine gone) is dead to the others.
Not chosen: the pid (not visible from another container or job, where a live run then looks
dead), a file (visible on one machine only), a container's label (fixed at creation), touching
a file inside one of the run's containers (needs a running container and writes into a user's
compose containers).

A run is swept when its lease expired, or its hard `expires` label passed (a backstop for a run
that would renew forever), or its resources carry neither lease nor expiry. Resources with no
lease volume but an expiry (an older harness version's, or a run that is just starting) are left
alone until that expiry. A run's lease volume is created before anything else of the run and
removed last, only when everything else went: a removal that fails halfway is finished by a
later sweep once the lease expired.
"""

from __future__ import annotations

import calendar
import contextlib
import re
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import docker.errors

from harness.stacks.docker import (
    EXPIRES_LABEL,
    LEASE_LABEL,
    PROJECT_LABEL,
    RUN_LABEL,
    HermeticError,
    docker_client,
)

COMPOSE_PROJECT_LABEL = "com.docker.compose.project"
LEASE_ENV = "SMOKE_HERMETIC_LEASE_S"
DEFAULT_LEASE_S = 60.0
MIN_LEASE_S = 2.0
_TIMESTAMP = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:?\d\d)?")


def lease_length(env: Mapping[str, str]) -> float:
    """The lease length in seconds: `SMOKE_HERMETIC_LEASE_S` in `env`, else 60."""
    value = env.get(LEASE_ENV)
    if not value:
        return DEFAULT_LEASE_S
    try:
        length = float(value)
    except ValueError:
        length = 0.0
    if not length >= MIN_LEASE_S:  # also NaN
        raise HermeticError(f"{LEASE_ENV}={value!r}: give seconds, at least {MIN_LEASE_S:g}")
    return length


class Lease:
    """A run's proof of life on the daemon: taken before the run creates anything, renewed by a
    daemon thread every quarter of its length, released (renewals stopped) before the run's
    removal, which removes its volume last. Killed without a release, it expires by itself."""

    def __init__(self, labels: dict[str, str], project: str, length_s: float) -> None:
        self.labels = {**labels, LEASE_LABEL: f"{length_s:g}"}
        self.length_s = length_s
        self._prefix = f"{project}-lease-{uuid.uuid4().hex[:6]}-"
        self._count = 0
        self._client: Any = None
        self._lock = threading.Lock()
        self._released = threading.Event()
        self._thread: threading.Thread | None = None

    def acquire(self) -> None:
        """Create the first lease volume (an error if the daemon refuses), then keep renewing."""
        self._client = docker_client(timeout=10)
        self._renew()
        self._thread = threading.Thread(target=self._renew_until_released,
                                        name=f"lease-{self._prefix}", daemon=True)
        self._thread.start()

    def release(self) -> None:
        """Stop renewing (waiting for a renewal under way); the lease volume stays, for
        `remove_run` to remove last. Idempotent."""
        self._released.set()
        with self._lock:
            if self._client is not None:
                with contextlib.suppress(Exception):
                    self._client.close()
                self._client = None

    def _renew_until_released(self) -> None:
        while not self._released.wait(self.length_s / 4):
            with self._lock:
                if self._released.is_set():
                    return
                with contextlib.suppress(Exception):  # the next renewal tries again
                    self._renew()

    def _renew(self) -> None:
        """The next lease volume, then the previous ones of this lease go."""
        self._count += 1
        name = f"{self._prefix}{self._count}"
        self._client.volumes.create(name=name, labels=self.labels)
        selector = {"label": [f"{RUN_LABEL}={self.labels[RUN_LABEL]}", LEASE_LABEL]}
        for volume in self._client.volumes.list(filters=selector):
            if volume.name.startswith(self._prefix) and volume.name != name:
                with contextlib.suppress(Exception):
                    volume.remove(force=True)


def _selectors(run_id: str, project: str) -> list[dict[str, str]]:
    selectors = [{"label": f"{RUN_LABEL}={run_id}"}]
    return selectors + ([{"label": f"{COMPOSE_PROJECT_LABEL}={project}"}] if project else [])


def remove_run(run_id: str, project: str = "", client: Any = None) -> list[str]:
    """Force-remove the run's containers (with their anonymous volumes), networks and volumes;
    its lease last, and only if everything else went.

    Each removal is on its own: one that fails does not stop the others. Returns what went.
    """
    own = client is None
    client = client or docker_client(timeout=30)
    removed: list[str] = []
    complete = True
    try:
        for selector in _selectors(run_id, project):
            for container in _listed(client.containers.list, all=True, filters=selector):
                if _removed(lambda container=container: container.remove(force=True, v=True)):
                    removed.append(f"container {container.name}")
                else:
                    complete = False
        leases = []
        for selector in _selectors(run_id, project):
            for network in _listed(client.networks.list, filters=selector):
                if _retry(network.remove):
                    removed.append(f"network {network.name}")
                else:
                    complete = False
            for volume in _listed(client.volumes.list, filters=selector):
                if LEASE_LABEL in _labels(volume):
                    leases.append(volume)
                elif _retry(lambda volume=volume: volume.remove(force=True)):
                    removed.append(f"volume {volume.name}")
                else:
                    complete = False
        for volume in leases if complete else []:
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


def _removed(action: Callable[[], object]) -> bool:
    """True when it went (or was already gone)."""
    try:
        action()
    except docker.errors.NotFound:
        return True
    except Exception:
        return False
    return True


def _retry(action: Callable[[], object], tries: int = 3) -> bool:
    """Networks and volumes can be briefly in use by a container being removed."""
    for attempt in range(tries):
        if _removed(action):
            return True
        time.sleep(0.3 * (attempt + 1))
    return False


def _labels(item: Any) -> dict[str, str]:
    attrs = item.attrs
    return attrs.get("Labels") or attrs.get("Config", {}).get("Labels") or {}


def daemon_time(text: str) -> float | None:
    """Seconds since the epoch of a Docker timestamp ("2024-05-01T10:00:00.123456789Z")."""
    match = _TIMESTAMP.match(text or "")
    if not match or text.startswith("0001"):
        return None
    seconds = calendar.timegm(time.strptime(match.group(1), "%Y-%m-%dT%H:%M:%S"))
    fraction = float(match.group(2)) if match.group(2) else 0.0
    zone = match.group(3) or "Z"
    if zone != "Z":
        hours, minutes = int(zone[1:3]), int(zone[-2:])
        seconds -= (1 if zone[0] == "+" else -1) * (hours * 3600 + minutes * 60)
    return seconds + fraction


@dataclass
class RunSeen:
    """What the daemon holds of one run: its labels and when its lease ends (None: no lease)."""

    labels: list[dict[str, str]] = field(default_factory=list)
    lease_until: float | None = None

    def project(self) -> str:
        return next((labels[PROJECT_LABEL] for labels in self.labels
                     if labels.get(PROJECT_LABEL)), "")


def stale_reason(run: RunSeen, now: float) -> str | None:
    """Why a run is dead ("its lease expired 3 s ago", ...), or None while it may be alive."""
    expiries = []
    for labels in run.labels:
        with contextlib.suppress(ValueError):
            expiries.append(float(labels.get(EXPIRES_LABEL, "")))
    if expiries and max(expiries) < now:
        return f"expired {now - max(expiries):.0f} s ago"
    if run.lease_until is not None:
        if run.lease_until < now:
            return f"its lease expired {now - run.lease_until:.0f} s ago"
        return None
    return None if expiries else "it carries no lease and no expiry"


def _runs_seen(client: Any) -> dict[str, RunSeen]:
    """Every labelled run on the daemon; volumes listed last, so a lease taken before a
    container that was listed is seen too."""
    runs: dict[str, RunSeen] = {}
    selector = {"label": RUN_LABEL}
    for lister in (lambda: client.containers.list(all=True, filters=selector),
                   lambda: client.networks.list(filters=selector),
                   lambda: client.volumes.list(filters=selector)):
        for item in _listed(lambda lister=lister: lister()):
            labels = _labels(item)
            run = runs.setdefault(labels.get(RUN_LABEL, ""), RunSeen())
            run.labels.append(labels)
            created = daemon_time(item.attrs.get("CreatedAt", ""))
            with contextlib.suppress(ValueError):
                if LEASE_LABEL in labels and created is not None:
                    until = created + float(labels[LEASE_LABEL])
                    run.lease_until = (until if run.lease_until is None
                                       else max(run.lease_until, until))
    return runs


def sweep_stale(say: Callable[[str], object] = print, client: Any = None) -> list[str]:
    """Remove the resources of harness runs whose lease expired; what was removed (and said)."""
    own = client is None
    try:
        client = client or docker_client(timeout=30)
    except Exception:
        return []
    try:
        runs = _runs_seen(client)
        if not runs:
            return []
        now = time.time()
        with contextlib.suppress(Exception):
            now = daemon_time(client.info().get("SystemTime", "")) or now
        swept: list[str] = []
        for run_id, run in runs.items():
            why = stale_reason(run, now)
            if not run_id or why is None:
                continue
            removed = remove_run(run_id, run.project(), client)
            if removed:
                say(f"hermetic: swept {len(removed)} leftover(s) of run {run_id} ({why}): "
                    + ", ".join(removed))
                swept += removed
        return swept
    finally:
        if own:
            client.close()

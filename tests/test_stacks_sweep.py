"""Runs on a shared daemon: a run is removed by another only once its lease expired, never
because its pid is not visible; a run removes only its own. The judging without Docker, the
lease with it."""

from __future__ import annotations

import os
import socket
import time
import uuid

import pytest

from harness.stacks.docker import (
    EXPIRES_LABEL,
    HOST_LABEL,
    PID_LABEL,
    RUN_ID_ENV,
    RUN_LABEL,
    HermeticError,
    docker_client,
)
from harness.stacks.hermetic import HermeticStack
from harness.stacks.sweep import (
    LEASE_ENV,
    Lease,
    RunSeen,
    daemon_time,
    lease_length,
    remove_run,
    stale_reason,
    sweep_stale,
)
from tests.test_hermetic import leftovers, require_docker

NOW = 1_700_000_000.0
LIVE = {RUN_LABEL: "r1", EXPIRES_LABEL: str(int(NOW + 3600))}


def test_a_live_lease_keeps_a_run_whatever_its_pid() -> None:
    invisible = {**LIVE, PID_LABEL: "999999999:1", HOST_LABEL: socket.gethostname()}
    assert stale_reason(RunSeen([invisible], lease_until=NOW + 5), NOW) is None


def test_an_expired_lease_or_expiry_makes_a_run_stale() -> None:
    assert stale_reason(RunSeen([LIVE], lease_until=NOW - 7), NOW) == "its lease expired 7 s ago"
    expired = {**LIVE, EXPIRES_LABEL: str(int(NOW - 60))}
    assert stale_reason(RunSeen([expired], lease_until=NOW + 5), NOW) == "expired 60 s ago"
    assert stale_reason(RunSeen([{RUN_LABEL: "r1"}]), NOW) == "it carries no lease and no expiry"


def test_a_run_without_a_lease_is_left_until_its_expiry() -> None:
    """An older harness version's run, or one whose lease is not listed yet."""
    assert stale_reason(RunSeen([LIVE]), NOW) is None


def test_docker_timestamps_are_read_with_their_zone() -> None:
    assert daemon_time("2023-11-14T22:13:20Z") == NOW
    assert daemon_time("2023-11-14T22:13:20.250000000Z") == NOW + 0.25
    assert daemon_time("2023-11-15T00:13:20+02:00") == NOW
    assert daemon_time("0001-01-01T00:00:00Z") is None
    assert daemon_time("") is None


def test_lease_length_is_configurable_and_checked() -> None:
    assert lease_length({}) == 60.0
    assert lease_length({LEASE_ENV: "5"}) == 5.0
    for wrong in ("0", "-3", "soon", "nan"):
        with pytest.raises(HermeticError, match=LEASE_ENV):
            lease_length({LEASE_ENV: wrong})
    stack = HermeticStack(None, env={RUN_ID_ENV: "r1", LEASE_ENV: "9"})
    assert stack.lease_s == 9.0
    assert HermeticStack(None, env={RUN_ID_ENV: "r1"}, lease_s=4).lease_s == 4


def foreign_run(pid_label: str, lease_s: float | None) -> tuple[str, Lease | None]:
    """A run as another container or CI job leaves it on the daemon: a labelled volume (and a
    lease, renewed, when `lease_s` is given) under a pid this process cannot see."""
    run_id = f"test-{uuid.uuid4().hex[:10]}"
    labels = {RUN_LABEL: run_id, PID_LABEL: pid_label, HOST_LABEL: socket.gethostname(),
              EXPIRES_LABEL: str(int(time.time() + 3600))}
    client = docker_client(timeout=30)
    try:
        client.volumes.create(name=f"smoke-{run_id}-data", labels=labels)
    finally:
        client.close()
    if lease_s is None:
        return run_id, None
    lease = Lease(labels, f"smoke-{run_id}", lease_s)
    lease.acquire()
    return run_id, lease


@pytest.mark.docker
def test_a_live_run_whose_pid_is_not_visible_is_left_alone() -> None:
    require_docker()
    live, lease = foreign_run("999999999:1", lease_s=3)
    older, _ = foreign_run("999999998:1", lease_s=None)  # no lease: an older harness version
    assert lease is not None
    try:
        time.sleep(4)  # longer than the lease: only its renewals keep it
        said: list[str] = []
        swept = sweep_stale(said.append)
        assert not [name for name in swept if live in name or older in name], said
        assert len([name for name in leftovers(live) if "-lease-" in name]) == 1
    finally:
        lease.release()
    time.sleep(3 + 1.5)  # released: no more renewals, the lease runs out
    present = leftovers(live)  # another run on this daemon (a parallel test) may sweep it first
    said = []
    sweep_stale(said.append)
    if present:
        assert any(f"run {live} (its lease expired" in line for line in said), said
    assert leftovers(live) == []
    assert leftovers(older), "left until its expiry"
    assert remove_run(older) == [f"volume smoke-{older}-data"]
    assert leftovers(older) == []


@pytest.mark.docker
def test_a_run_removes_only_its_own() -> None:
    require_docker()
    mine, my_lease = foreign_run(f"{os.getpid()}", lease_s=30)
    other, other_lease = foreign_run(f"{os.getpid()}", lease_s=30)
    assert my_lease is not None and other_lease is not None
    try:
        my_lease.release()
        removed = remove_run(mine)
        assert f"volume smoke-{mine}-data" in removed and all(mine in name for name in removed)
        assert leftovers(mine) == []
        assert len(leftovers(other)) == 2, "the other run's volume and lease are untouched"
    finally:
        other_lease.release()
        remove_run(other)
    assert leftovers(other) == []

"""Nothing is left behind, whatever ends a run: each signal, a second one, one during teardown,
a crash, a kill (swept by a later run once its lease expired); and the signal policy itself,
without Docker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from harness.process import signals
from harness.stacks.docker import RUN_ID_ENV
from harness.stacks.sweep import LEASE_ENV, sweep_stale
from tests.test_hermetic import COMPOSE_FILE, leftovers, require_compose, require_docker

START_S = 150
END_S = 90
LEASE_S = 20  # the killed run's: renewed every 5 s, so at least 14 s of it are left at the kill
SCENARIOS = {  # name -> the signals sent once the stack is up (None: wait for its teardown)
    "sigint-once": [signal.SIGINT],
    "sigint-twice": [signal.SIGINT, signal.SIGINT],
    "sigint-during-teardown": [signal.SIGTERM, None, signal.SIGINT, signal.SIGINT],
    "sigterm": [signal.SIGTERM],
    "sighup": [signal.SIGHUP],
}


def start_held(kind: str, tmp_path: Path, *extra: str,
               env: dict[str, str] | None = None) -> tuple[subprocess.Popen[bytes], str, Path]:
    """`python -m harness.stacks --KIND --hold 300` under a known run id, once its URL is out."""
    rid = f"test-{uuid.uuid4().hex[:10]}"
    env = {**os.environ, RUN_ID_ENV: rid, "PYTHONUNBUFFERED": "1",
           "SMOKE_PASSWORD": uuid.uuid4().hex, "SMOKE_JWT_SECRET": uuid.uuid4().hex, **(env or {})}
    which = (["--hermetic"] if kind == "hermetic" else
             ["--compose-file", str(COMPOSE_FILE), "--compose-gateway", "gateway"])
    out = tmp_path / "out.txt"
    with out.open("wb") as sink:
        proc = subprocess.Popen([sys.executable, "-m", "harness.stacks", *which, "--hold", "300",
                                 *extra], env=env, stdout=sink, stderr=subprocess.STDOUT)
    wait_for(proc, out, "URL http", START_S)
    return proc, rid, out


def wait_for(proc: subprocess.Popen[bytes], out: Path, text: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while text not in out.read_text():
        if proc.poll() is not None or time.monotonic() > deadline:
            stop(proc)
            pytest.fail(f"never saw {text!r}:\n{out.read_text()}")
        time.sleep(0.01)


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.kill()
        proc.wait(timeout=30)


def require(kind: str) -> None:
    require_docker() if kind == "hermetic" else require_compose()


@pytest.mark.docker
@pytest.mark.parametrize("scenario", list(SCENARIOS))
@pytest.mark.parametrize("kind", ["hermetic", "compose"])
def test_signal_leaves_nothing(kind: str, scenario: str, tmp_path: Path) -> None:
    require(kind)
    proc, rid, out = start_held(kind, tmp_path)
    try:
        for sig in SCENARIOS[scenario]:
            if sig is None:
                wait_for(proc, out, "removing its containers", END_S)
            else:
                proc.send_signal(sig)
                time.sleep(0.02)
        code = proc.wait(timeout=END_S)
    finally:
        stop(proc)
    output = out.read_text()
    assert code == 130, output
    assert "Traceback" not in output, output
    assert f"interrupted ({SCENARIOS[scenario][0].name})" in output, output
    if scenario == "sigint-during-teardown":
        assert "SIGINT received: finishing the container cleanup first" in output, output
    assert leftovers(rid) == [], output


@pytest.mark.docker
@pytest.mark.parametrize("kind", ["hermetic", "compose"])
def test_crash_after_start_leaves_nothing(kind: str, tmp_path: Path) -> None:
    require(kind)
    proc, rid, out = start_held(kind, tmp_path, "--crash")
    try:
        code = proc.wait(timeout=END_S)
    finally:
        stop(proc)
    assert code == 1, out.read_text()
    assert "simulated harness crash" in out.read_text()
    assert leftovers(rid) == [], out.read_text()


@pytest.mark.docker
def test_killed_run_is_swept_by_the_next(tmp_path: Path) -> None:
    """Its process is gone at once; its resources are another run's to remove only once its
    lease (renewed every LEASE_S / 4 until the kill) expired."""
    require_compose()
    proc, rid, out = start_held("compose", tmp_path, env={LEASE_ENV: str(LEASE_S)})
    proc.kill()  # SIGKILL: no cleanup can run
    proc.wait(timeout=30)
    killed = time.monotonic()
    assert leftovers(rid), "a killed run leaves its containers until the next sweep"
    said: list[str] = []
    assert not any(rid in name for name in sweep_stale(said.append)), said  # lease still runs
    assert leftovers(rid), said
    time.sleep(max(0.0, killed + LEASE_S + 1.5 - time.monotonic()))
    present = leftovers(rid)  # another run on this daemon (a parallel test) may sweep it first
    swept = sweep_stale(said.append)
    if present:
        assert any(rid in name for name in swept), said
        assert any(f"run {rid} (its lease expired" in line for line in said), said
    assert leftovers(rid) == []


def test_sigterm_and_sighup_raise_keyboard_interrupt_then_handlers_come_back() -> None:
    before = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGHUP)}
    for sig in (signal.SIGTERM, signal.SIGHUP):
        with pytest.raises(KeyboardInterrupt, match=sig.name), \
                signals.interrupts_as_keyboard_interrupt():
            signal.raise_signal(sig)
            time.sleep(1)
    assert {sig: signal.getsignal(sig) for sig in before} == before


def test_shielded_section_finishes_then_raises() -> None:
    finished = []
    with pytest.raises(KeyboardInterrupt, match="SIGTERM"), \
            signals.interrupts_as_keyboard_interrupt(), signals.shielded():
        signal.raise_signal(signal.SIGTERM)
        finished.append(True)
    assert finished == [True]
    with signals.interrupts_as_keyboard_interrupt(), signals.shielded(reraise=False):
        signal.raise_signal(signal.SIGINT)  # recorded, not raised: a teardown goes on


def test_second_signal_does_not_cut_a_live_stacks_cleanup() -> None:
    class Stack:
        stopped = 0

        def stop(self) -> None:
            signal.raise_signal(signal.SIGINT)  # a second Ctrl-C while it stops
            self.stopped += 1

    stack = Stack()
    signals.register(stack, say=lambda _text: None)
    try:
        with pytest.raises(KeyboardInterrupt), signals.interrupts_as_keyboard_interrupt():
            try:
                signal.raise_signal(signal.SIGINT)
            finally:
                stack.stop()
    finally:
        signals.unregister(stack)
    assert stack.stopped == 1
    assert signals.received() == "SIGINT"

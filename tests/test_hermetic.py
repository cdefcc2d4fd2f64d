"""Hermetic runs: the platform in throwaway containers, removed afterwards, even on Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.stacks.compose import compose_cli_reason
from harness.stacks.docker import RUN_ID_ENV, RUN_LABEL, docker_unusable_reason
from harness.stacks.hermetic import missing_images
from tests.conftest import HarnessRun

pytestmark = pytest.mark.docker

COMPOSE_FILE = Path(__file__).parent.parent / "fixtures" / "containers" / "compose.reference.yaml"
RUN_TIMEOUT_S = 240


def require_docker() -> None:
    """Skip without a usable Docker engine and local images; in CI (env CI set), fail loudly."""
    reason = docker_unusable_reason()
    if reason is None:
        missing = missing_images()
        if missing:
            reason = (f"image(s) missing: {', '.join(missing)} "
                      "(bash fixtures/containers/build-images.sh)")
    if reason is not None:
        unavailable(f"{reason}. CI must start dockerd and build the images "
                    "(fixtures/containers/start-docker.sh, build-images.sh) before the tests")


def unavailable(reason: str) -> None:
    """Skip on a developer's machine; in CI (env CI set) fail loudly instead."""
    if os.environ.get("CI"):
        pytest.fail(f"HERMETIC TESTS CANNOT RUN IN CI: {reason}", pytrace=False)
    pytest.skip(reason)


def docker_names(*command: str, label: str) -> list[str]:
    """Names listed by `docker <command> --filter label=LABEL`."""
    listing = subprocess.run(["docker", *command, "--filter", f"label={label}",
                              "--format", "{{.Names}}" if "ps" in command else "{{.Name}}"],
                             capture_output=True, text=True, timeout=30, check=True)
    return listing.stdout.split()


def leftovers(run_id: str) -> list[str]:
    """Containers, networks, volumes and images of this run (by its label, its compose project
    label and its name) still on the engine: `docker ps -a`, `network ls`, `volume ls`, `images`."""
    found = []
    for label in (f"{RUN_LABEL}={run_id}", f"com.docker.compose.project=smoke-{run_id}"):
        found += docker_names("ps", "-a", label=label) + docker_names("network", "ls", label=label)
        found += docker_names("volume", "ls", label=label)
    listing = subprocess.run(["docker", "images", "--format", "{{.Repository}}:{{.Tag}}"],
                             capture_output=True, text=True, timeout=30, check=True)
    return found + [image for image in listing.stdout.split() if f"smoke-{run_id}" in image]


def require_compose() -> None:
    require_docker()
    reason = compose_cli_reason()
    if reason is not None:
        unavailable(f"compose runs are untestable here: {reason}")


def run_id() -> str:
    return f"test-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def hermetic(run_harness: Callable[..., HarnessRun]) -> Callable[..., tuple[HarnessRun, str]]:
    """Run `python -m harness --hermetic ARGS` under a known run id (for the label lookup)."""
    require_docker()

    def run(*args: str) -> tuple[HarnessRun, str]:
        rid = run_id()
        return run_harness("--hermetic", *args, env={RUN_ID_ENV: rid},
                           timeout=RUN_TIMEOUT_S), rid

    return run


def test_hermetic_run_passes_lists_container_logs_and_leaves_nothing(hermetic) -> None:
    run, rid = hermetic()
    assert run.code == 0, run.output
    assert run.report["verdict"] == "pass"
    assert "(hermetic containers)" in run.report["target"]
    containers = {c["name"].removeprefix(f"smoke-{rid}-"): c for c in run.report["containers"]}
    assert {"redis", "messaging", "gateway"} <= containers.keys()
    assert "Messaging Service running on port 5005" in containers["messaging"]["log"]
    assert "API gateway running on port 8080" in containers["gateway"]["log"]
    assert "Ready to accept connections" in containers["redis"]["log"]
    if "mongo" not in containers:  # no MongoDB image here: the run says so
        assert any("mongomock" in note for note in run.report["notes"])
        assert "MongoDB skipped" in run.output
    assert any(note.startswith("Redis: ") for note in run.report["notes"])
    scanned = {c["id"] for c in run.report["checks"] if "test_logs.py" in c["id"]}
    assert any("messaging.log-" in check for check in scanned), scanned
    assert leftovers(rid) == []


def test_hermetic_messaging_fault_fails_with_its_cause(hermetic) -> None:
    run, rid = hermetic("--fault", "messaging-health-503", "--suite", "health")
    assert run.code == 1, run.output
    assert run.report["verdict"] == "fail"
    assert "aggregate-unhealthy" in run.causes
    assert leftovers(rid) == []


def test_failed_start_is_an_error_and_removes_what_started(run_harness) -> None:
    require_docker()
    rid = run_id()
    # the Redis image has no python: the messaging container cannot start
    run = run_harness("--hermetic", env={RUN_ID_ENV: rid, "SMOKE_REFERENCE_IMAGE": "smoke-redis:7"},
                      timeout=RUN_TIMEOUT_S)
    assert run.code == 2, run.output
    assert run.report["verdict"] == "error"
    assert "[service-start-failed] service 'messaging'" in run.report["error"]
    assert "its last log lines" in run.report["error"]
    assert run.report["target"].startswith("hermetic containers smoke-")
    assert "Traceback" not in run.output
    assert leftovers(rid) == []


@pytest.mark.parametrize("phase", ["startup", "suites"])
def test_sigint_mid_run_removes_every_container(phase: str, tmp_path: Path) -> None:
    require_docker()
    rid = run_id()
    env = {**os.environ, RUN_ID_ENV: rid, "PYTHONUNBUFFERED": "1"}
    out = tmp_path / "out.txt"
    with out.open("w") as sink:
        # in the suites phase a route that never answers keeps the run busy for ~5 s
        slow = ["--fault", "create-never-responds"] if phase == "suites" else []
        proc = subprocess.Popen([sys.executable, "-m", "harness", "--hermetic", *slow],
                                cwd=tmp_path, env=env, stdout=sink, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and proc.poll() is None:
            if (docker_names("ps", "-a", label=f"{RUN_LABEL}={rid}") if phase == "startup"
                    else "gateway published" in out.read_text()):
                break
            time.sleep(0.1)
        assert proc.poll() is None, f"the run ended before it was interrupted:\n{out.read_text()}"
        if phase == "suites":
            time.sleep(1.0)
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=90)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
    output = out.read_text()
    assert code == 2, output
    assert "Traceback" not in output, output
    assert "interrupted (SIGINT)" in output and "VERDICT: INCONCLUSIVE" in output
    assert leftovers(rid) == [], output


def test_compose_file_runs_against_the_named_gateway_service(run_harness) -> None:
    require_compose()
    secrets = {"SMOKE_USERNAME": "smoke-user", "SMOKE_PASSWORD": uuid.uuid4().hex,
               "SMOKE_JWT_SECRET": uuid.uuid4().hex, RUN_ID_ENV: run_id()}
    run = run_harness("--compose-file", str(COMPOSE_FILE), "--compose-gateway", "gateway",
                      env=secrets, timeout=RUN_TIMEOUT_S)
    assert run.code == 0, run.output
    assert any("gateway" in container["name"] for container in run.report["containers"])
    assert leftovers(secrets[RUN_ID_ENV]) == []


def test_redis_stopped_mid_run_is_named_from_the_crashed_services_log(hermetic) -> None:
    """--hermetic --fault redis-down stops the real Redis container after the start: the
    messaging service dies of it, the gateway answers 504, and its container log names Redis."""
    run, rid = hermetic("--fault", "redis-down")
    assert run.code == 1, run.output
    assert "the Redis container was stopped" in run.output
    first = run.report["root_causes"][0]
    assert (first["cause"], first.get("dependency")) == ("dependency-down", "redis"), first
    assert "SocketClosedUnexpectedlyError" in first["summary"]
    assert any(root["cause"] == "upstream-unreachable" for root in run.report["root_causes"])
    assert leftovers(rid) == []

"""Starting stacks: every service awaited, failed starts explained, wrong settings named,
`build:` images reused, and a teardown that fails halfway still removes everything."""

from __future__ import annotations

import subprocess
import time
import uuid
from pathlib import Path

import httpx
import pytest

from harness.stacks.compose import ComposeStack
from harness.stacks.docker import RUN_ID_ENV, HermeticError, ServiceStartFailed
from harness.stacks.hermetic import HermeticStack
from tests.test_hermetic import leftovers, require_compose, require_docker

pytestmark = pytest.mark.docker

FIXTURES = Path(__file__).parent.parent / "fixtures" / "containers"


def compose(name: str, gateway: str = "gateway", port: int | None = None,
            timeout_s: float = 90) -> tuple[ComposeStack, list[str]]:
    said: list[str] = []
    env = {RUN_ID_ENV: f"test-{uuid.uuid4().hex[:10]}"}
    return ComposeStack(FIXTURES / name, gateway, port, env=env, say=said.append,
                        start_timeout_s=timeout_s), said


def test_slow_service_is_awaited_without_flags() -> None:
    require_compose()
    stack, said = compose("compose.slow.yaml")
    planned = stack.planned_log_files  # known before the start: every service but the gateway
    assert [Path(path).name for path in planned] == ["messaging.log"]
    started = time.monotonic()
    try:
        stack.start()
        took = time.monotonic() - started
        aggregate = httpx.get(stack.url + "/api/health/aggregate", timeout=5)
    finally:
        stack.stop()
    assert stack.log_files == planned and Path(planned[0]).is_file()
    assert took >= 8, said
    ready = [line for line in said if "messaging ready" in line]
    assert ready and "steadily" not in ready[0], said  # awaited on the port the gateway uses
    assert aggregate.status_code == 200, aggregate.text
    assert aggregate.json()["ok"] is True, aggregate.text
    assert leftovers(stack.run_id) == []


def test_crashing_service_fails_the_start_with_its_log_and_exit_code() -> None:
    require_compose()
    stack, said = compose("compose.crash.yaml", timeout_s=60)
    with pytest.raises(ServiceStartFailed) as failed:
        stack.start()
    assert failed.value.service == "messaging"
    assert failed.value.exit_code == 1
    assert any("Cannot find module '/app/src/server.js'" in line
               for line in failed.value.log_tail), failed.value.log_tail
    assert "exited with code 1" in str(failed.value)
    assert leftovers(stack.run_id) == []


def test_hermetic_service_that_cannot_start_is_named() -> None:
    require_docker()
    said: list[str] = []
    env = {RUN_ID_ENV: f"test-{uuid.uuid4().hex[:10]}", "SMOKE_REFERENCE_IMAGE": "smoke-redis:7"}
    stack = HermeticStack(None, env=env, say=said.append, start_timeout_s=60)
    planned = stack.planned_log_files
    with pytest.raises(ServiceStartFailed) as failed:
        stack.start()  # the Redis image has no python: the messaging container exits at once
    assert failed.value.service == "messaging"
    assert failed.value.exit_code not in (None, 0)
    assert all(Path(path).is_file() for path in planned)  # those planned, and only those
    assert set(stack.log_files) <= set(planned) and planned[1] in stack.log_files  # redis's
    assert leftovers(stack.run_id) == []


def test_gateway_bound_to_loopback_is_told_to_bind_all_interfaces() -> None:
    require_compose()
    stack, _said = compose("compose.loopback.yaml", port=8080, timeout_s=60)
    started = time.monotonic()
    with pytest.raises(ServiceStartFailed, match="bind 0.0.0.0") as failed:
        stack.start()
    assert failed.value.service == "gateway"
    assert time.monotonic() - started < 30, "detected, not waited out"
    assert leftovers(stack.run_id) == []


@pytest.mark.parametrize(("gateway", "port", "expected"), [
    ("gw", None, "has no service 'gw'; its services: gateway"),
    ("gateway", None, "publishes several container ports: 8080 (host 127.0.0.1:random), 9229"),
    ("gateway", 4000, "does not publish container port 4000; it publishes 8080"),
])
def test_wrong_gateway_settings_say_what_to_use(gateway: str, port: int | None,
                                                expected: str) -> None:
    require_compose()
    stack, _said = compose("compose.loopback.yaml", gateway, port)
    with pytest.raises(HermeticError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        stack.start()
    assert leftovers(stack.run_id) == []


def test_single_published_port_is_used_when_none_is_given() -> None:
    require_compose()
    stack, said = compose("compose.build.yaml")
    try:
        stack.start()
        assert stack.port == 8080
    finally:
        stack.stop()


def test_build_service_keeps_one_tag_across_runs() -> None:
    require_compose()

    def images() -> list[str]:
        listing = subprocess.run(["docker", "images", "-a", "--format",
                                  "{{.Repository}}:{{.Tag}}"],
                                 capture_output=True, text=True, timeout=30, check=True)
        return sorted(listing.stdout.split())

    built_before = {image for image in images() if image.startswith("smoke-build-")}
    runs = []
    for _ in range(2):
        stack, _said = compose("compose.build.yaml", port=8080)
        try:
            stack.start()
        finally:
            stack.stop()
        runs.append((stack.run_id, images()))
    # only this project's build tags: other xdist workers build and retag images meanwhile
    ours = [[image for image in listing if image.startswith("smoke-build-")]
            for _, listing in runs]
    assert ours[0] == ours[1], "a second run adds no image"
    built = {image for image in runs[1][1] if image.startswith("smoke-build-")} - built_before
    assert len(built) <= 1 and all(image.endswith("-gateway:latest") for image in built), built
    assert all(leftovers(run_id) == [] for run_id, _ in runs)


def test_teardown_that_fails_halfway_still_removes_everything(monkeypatch) -> None:
    require_compose()
    stack, _said = compose("compose.build.yaml", port=8080)
    stack.start()

    def broken(*args: str, timeout: float) -> None:
        raise RuntimeError(f"compose {args[0]} failed")

    monkeypatch.setattr(stack._compose, "run", broken)
    monkeypatch.setattr(stack, "collect_logs", lambda: 1 / 0)
    stack.stop()  # never raises
    stack.stop()  # idempotent
    assert leftovers(stack.run_id) == []

"""Docker plumbing without a Docker engine: testcontainers' settings are passed for our calls,
never put in the environment (not even at import); service-log files are known before a start."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from testcontainers.core.config import ConnectionMode, testcontainers_config

from harness.stacks.compose import ComposeStack
from harness.stacks.docker import RUN_ID_ENV, HermeticError, scoped_testcontainers
from harness.stacks.hermetic import HermeticStack


@pytest.fixture
def saved_config() -> Iterator[None]:
    saved = (testcontainers_config.ryuk_disabled, testcontainers_config.connection_mode_override)
    yield
    testcontainers_config.ryuk_disabled = saved[0]
    testcontainers_config.connection_mode_override = saved[1]


def test_testcontainers_settings_are_passed_and_put_back(saved_config: None) -> None:
    testcontainers_config.ryuk_disabled = False
    testcontainers_config.connection_mode_override = None
    environ = dict(os.environ)
    with scoped_testcontainers({}):
        assert testcontainers_config.ryuk_disabled is True  # off unless asked for
        assert testcontainers_config.connection_mode_override is ConnectionMode.docker_host
    with scoped_testcontainers({"TESTCONTAINERS_RYUK_DISABLED": "false",
                                  "TESTCONTAINERS_CONNECTION_MODE": "gateway_ip"}):
        assert testcontainers_config.ryuk_disabled is False  # the user asked for Ryuk
        assert testcontainers_config.connection_mode_override is ConnectionMode.gateway_ip
    assert testcontainers_config.ryuk_disabled is False
    assert testcontainers_config.connection_mode_override is None
    assert dict(os.environ) == environ
    with pytest.raises(HermeticError, match="TESTCONTAINERS_CONNECTION_MODE"), \
            scoped_testcontainers({"TESTCONTAINERS_CONNECTION_MODE": "nearby"}):
        pass


def test_importing_the_stacks_leaves_the_environment_alone() -> None:
    code = ("import os, sys; before = dict(os.environ)\n"
            "import harness.stacks.docker, harness.stacks.hermetic, harness.stacks.compose\n"
            "sys.exit(dict(os.environ) != before)")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TESTCONTAINERS_")}
    assert subprocess.run([sys.executable, "-c", code], env=env, timeout=60).returncode == 0


def test_hermetic_log_files_are_known_before_the_start() -> None:
    stack = HermeticStack(None, env={RUN_ID_ENV: "planned-1"})
    names = [Path(path).name for path in stack.planned_log_files]
    assert names == ["mongo.log", "redis.log", "messaging.log"]
    assert all("smoke-planned-1-logs" in path for path in stack.planned_log_files)


def test_compose_log_files_of_an_unreadable_file_are_none(tmp_path: Path) -> None:
    """Planning does not raise; the start says what is wrong (and is labelled as the target)."""
    stack = ComposeStack(tmp_path / "missing.yaml", "gateway", env={RUN_ID_ENV: "planned-2"})
    assert stack.planned_log_files == []
    with pytest.raises(HermeticError, match="not found"):
        stack.start()

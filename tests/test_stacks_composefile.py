"""What a compose file says about its services before anything starts: the ports other
services address one by (its readiness when it declares none)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.stacks.composefile import ComposeFile


def compose_file(services: dict[str, Any]) -> ComposeFile:
    file = ComposeFile(Path("compose.yaml"), "smoke-test")
    file.config = {"services": services}
    return file


def test_ports_named_in_other_services_environment_and_command_are_addressed() -> None:
    file = compose_file({
        "gateway": {"environment": {"MESSAGING_URL": "http://messaging:5005/api",
                                    "MONGO_URL": "mongodb://user:pw@mongo:27017/app",
                                    "EMPTY": None},
                    "command": ["node", "server.js", "--redis", "redis://cache:6379"]},
        "messaging": {"entrypoint": "sh -c 'wait-for mongo:27017 && node index.js'"},
        "mongo": {},
        "cache": {"hostname": "cache", "networks": {"default": {"aliases": ["redis"]}}},
    })
    assert file.addressed_ports("messaging") == (5005,)
    assert file.addressed_ports("mongo") == (27017,)
    assert file.addressed_ports("cache") == (6379,)  # by its network alias
    assert file.addressed_ports("gateway") == ()


def test_names_that_only_contain_the_service_name_do_not_count() -> None:
    file = compose_file({
        "gateway": {"environment": ["A=http://old-messaging:5005", "B=messaging.example:443",
                                    "C=messaging:99999", "D=xmessaging:7000"]},
        "messaging": {},
    })
    assert file.addressed_ports("messaging") == ()


def test_a_service_does_not_address_itself() -> None:
    file = compose_file({"messaging": {"environment": {"SELF": "http://messaging:5005"}}})
    assert file.addressed_ports("messaging") == ()


COMPOSE_UNSET = ("error while interpolating services.gateway.environment.SMOKE_PASSWORD: "
                 "required variable SMOKE_PASSWORD is missing a value: set SMOKE_PASSWORD")


def test_an_unset_required_variable_is_named() -> None:
    from harness.stacks.composefile import unset_variable

    assert unset_variable(COMPOSE_UNSET) == (
        "the variable SMOKE_PASSWORD is not set (the file requires it: set SMOKE_PASSWORD); "
        "set it in the environment or give it a default in the file")
    bare = "error while interpolating services.db.image: required variable TAG is missing a value"
    assert unset_variable(bare) is not None and "TAG is not set" in str(unset_variable(bare))
    assert unset_variable("yaml: line 3: mapping values are not allowed here") is None


def test_the_redactor_keeps_compose_s_word_required() -> None:
    from harness.sanitize.redact import Redactor

    assert Redactor().text(COMPOSE_UNSET) == COMPOSE_UNSET
    assert Redactor().text("SMOKE_PASSWORD: hunter22") == "SMOKE_PASSWORD: ***"


def test_an_unset_variable_is_a_configuration_error_before_anything_starts(
        tmp_path: Path) -> None:
    """`docker compose` itself (a script on PATH that answers as compose v2 does): the run
    ends with one configuration-error line naming the variable, not target-unreachable."""
    import os
    import subprocess
    import sys

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    docker = bin_dir / "docker"
    docker.write_text("#!/bin/sh\ncase \"$*\" in *version*) echo v2.29; exit 0;; esac\n"
                      f"echo '{COMPOSE_UNSET}' >&2\nexit 15\n")
    docker.chmod(0o755)
    (tmp_path / "compose.yaml").write_text("services: {}\n")
    env = {key: value for key, value in os.environ.items() if not key.startswith("SMOKE_")}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env['PATH']}"
    proc = subprocess.run([sys.executable, "-m", "harness", "--compose-file",
                           str(tmp_path / "compose.yaml"), "--compose-gateway", "gateway"],
                          capture_output=True, text=True, env=env, timeout=60,
                          cwd=Path(__file__).parent.parent)
    assert proc.returncode == 2, proc.stderr
    first, verdict = proc.stderr.strip().splitlines()
    assert "configuration error" in first and "SMOKE_PASSWORD is not set" in first, first
    assert "target-unreachable" not in proc.stdout + proc.stderr

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

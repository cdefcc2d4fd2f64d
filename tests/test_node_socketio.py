"""The socket suite against a real Node.js Socket.IO 4 server (fixtures/node-socketio)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml
from filelock import FileLock

from fixtures import DEFAULT_CONTRACT
from tests.conftest import HarnessRun

NODE_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "node-socketio"
MANIFESTS = ("package.json", "package-lock.json")
ORIGIN = "http://localhost:3000"
NPM_TIMEOUT_S = 300
START_TIMEOUT_S = 15
PORT_LINE = re.compile(r"running on port (\d+)")


@dataclass(frozen=True)
class NodeServer:
    url: str
    username: str
    password: str
    users: dict[str, str]

    @property
    def credentials(self) -> dict[str, str]:
        return {"SMOKE_USERNAME": self.username, "SMOKE_PASSWORD": self.password}

    @property
    def identities(self) -> dict[str, str]:
        """The run's user, a peer and an outsider (SMOKE_*, SMOKE_PEER_*, SMOKE_OUTSIDER_*)."""
        return {**self.credentials, **self.users}


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        reason = f"`{name}` not found: the Node.js Socket.IO check needs Node 18+ and npm"
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (CI is set, so this check must run)")
        pytest.skip(reason)
    return path


def _install_dir() -> Path:
    """A cache dir per lock file: `npm ci` runs once, outside the source tree."""
    digest = hashlib.sha256(b"".join((NODE_DIR / name).read_bytes() for name in MANIFESTS))
    root = Path(os.environ.get("SMOKE_NODE_CACHE") or Path.home() / ".cache" / "smoke-harness")
    return root / f"node-socketio-{digest.hexdigest()[:12]}"


@pytest.fixture(scope="module")
def node_modules() -> Path:
    npm = _tool("npm")
    _tool("node")
    install = _install_dir()
    modules = install / "node_modules"
    install.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(f"{install}.lock", timeout=NPM_TIMEOUT_S):
        if not (modules / "socket.io" / "package.json").is_file():
            install.mkdir(exist_ok=True)
            for name in MANIFESTS:
                shutil.copy2(NODE_DIR / name, install / name)
            done = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=install,
                                  capture_output=True, text=True, timeout=NPM_TIMEOUT_S)
            assert done.returncode == 0, f"npm ci failed:\n{done.stdout}\n{done.stderr}"
    return modules


@pytest.fixture(scope="module")
def node_server(node_modules: Path, tmp_path_factory: pytest.TempPathFactory,
                ) -> Iterator[NodeServer]:
    """server.js on a free loopback port (PORT=0, read from its log line), stopped after."""
    yield from _node_server(node_modules, tmp_path_factory, {})


@pytest.fixture(scope="module")
def node_websocket_only_server(node_modules: Path, tmp_path_factory: pytest.TempPathFactory,
                               ) -> Iterator[NodeServer]:
    """server.js started with transports: ['websocket']."""
    yield from _node_server(node_modules, tmp_path_factory, {"TRANSPORTS": "websocket"})


def _node_server(node_modules: Path, tmp_path_factory: pytest.TempPathFactory,
                 extra: dict[str, str]) -> Iterator[NodeServer]:
    log = tmp_path_factory.mktemp("node-socketio") / "server.log"
    username, password = "smoke-user", secrets.token_urlsafe(12)
    users = {"SMOKE_PEER_USERNAME": "alice-peer", "SMOKE_PEER_PASSWORD": secrets.token_urlsafe(9),
             "SMOKE_OUTSIDER_USERNAME": "carol-outsider",
             "SMOKE_OUTSIDER_PASSWORD": secrets.token_urlsafe(9)}
    env = {**os.environ, "NODE_PATH": str(node_modules), "PORT": "0", "HOST": "127.0.0.1",
           "SMOKE_USERNAME": username, "SMOKE_PASSWORD": password, **users,
           "JWT_SECRET": secrets.token_hex(32), "CORS_ORIGIN": ORIGIN, **extra}
    with log.open("w") as out:
        proc = subprocess.Popen([_tool("node"), str(NODE_DIR / "server.js")], stdout=out,
                                stderr=subprocess.STDOUT, env=env)
    try:
        url = _wait_started(proc, log)
        yield NodeServer(url, username, password, users)
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def _wait_started(proc: subprocess.Popen[bytes], log: Path) -> str:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"server.js exited {proc.returncode}:\n{log.read_text()}"
        found = PORT_LINE.search(log.read_text())
        if found:
            url = f"http://127.0.0.1:{found.group(1)}"
            try:
                if httpx.get(f"{url}/api/health", timeout=1).status_code == 200:
                    return url
            except httpx.HTTPError:
                pass
        time.sleep(0.1)
    raise AssertionError(f"server.js did not start within {START_TIMEOUT_S} s:\n"
                         f"{log.read_text()}")


def test_socket_suite_passes_against_node(run_harness, node_server: NodeServer) -> None:
    run: HarnessRun = run_harness(node_server.url, "--suite", "socket", "--origin", ORIGIN,
                                  env=node_server.credentials)
    assert run.code == 0, run.output
    outcomes = {check["id"].split("::")[-1]: check["outcome"] for check in run.report["checks"]}
    untested = {check["id"].split("::")[-1] for check in run.report["checks"]
                if check["outcome"] == "not-tested"}
    assert untested == {"test_outsider_stays_out[outsider]",
                        "test_delivered_once[exactly-once]"}, outcomes
    assert {o for k, o in outcomes.items() if k not in untested} == {"passed"}, outcomes
    assert {"test_polling_handshake[polling]", "test_upgrade_from_polling[websocket]",
            "test_connect_refused[no-token]", "test_connect_refused[forged-token]",
            "test_connect_with_token[websocket-token]", "test_handshake_allows_origin[origin]",
            "test_message_round_trip[message]"} <= outcomes.keys()


def test_rooms_of_a_real_node_server_with_a_peer_and_an_outsider(
        run_harness, node_server: NodeServer) -> None:
    run: HarnessRun = run_harness(node_server.url, "--suite", "socket", "--origin", ORIGIN,
                                  env=node_server.identities)
    assert run.code == 0, run.output
    outcomes = {check["id"].split("::")[-1]: check["outcome"] for check in run.report["checks"]}
    assert outcomes["test_outsider_stays_out[outsider]"] == "passed"
    assert outcomes["test_delivered_once[exactly-once]"] == "passed"
    for secret in node_server.users.values():
        assert secret not in run.output and secret not in json.dumps(run.report)


@pytest.mark.parametrize(("bug", "cause"), [
    ("JOIN_ANYONE", "room-access-not-enforced"),
    ("DOUBLE_EMIT", "duplicate-delivery"),
])
def test_room_bugs_of_a_real_node_server_are_named(
        bug: str, cause: str, run_harness, node_modules: Path,
        tmp_path_factory: pytest.TempPathFactory) -> None:
    for server in _node_server(node_modules, tmp_path_factory, {bug: "1"}):
        run = run_harness(server.url, "--suite", "socket", "--origin", ORIGIN,
                          env=server.identities)
        assert run.code == 1, run.output
        assert run.root_cause == cause, run.output


def test_a_node_server_that_crashes_on_an_empty_event_is_named(
        run_harness, node_modules: Path, tmp_path_factory: pytest.TempPathFactory,
        tmp_path: Path) -> None:
    contract = tmp_path / "typing.yaml"
    contract.write_text(_with_probe_events(DEFAULT_CONTRACT.read_text()))
    for server in _node_server(node_modules, tmp_path_factory, {"CRASH_ON_BAD_EVENT": "1"}):
        run = run_harness(server.url, "--suite", "socket", "--origin", ORIGIN,
                          "--contract", str(contract), env=server.credentials)
        assert run.code == 1, run.output
        assert run.root_cause == "unhandled-bad-input", run.output
        assert "'typing'" in run.output


def _with_probe_events(contract: str) -> str:
    return contract.replace("socketio:\n", "socketio:\n  probe_events: [typing]\n", 1)


def test_node_server_without_the_origin_is_cors_blocked(run_harness,
                                                        node_server: NodeServer) -> None:
    run = run_harness(node_server.url, "--suite", "socket", "--origin", "http://evil.example",
                      env=node_server.credentials)
    assert run.code == 1, run.output
    assert run.causes == {"socketio-cors-blocked"}, run.failed


def test_a_websocket_only_node_server_passes_with_transports_websocket(
        run_harness, node_websocket_only_server: NodeServer, tmp_path: Path) -> None:
    server = node_websocket_only_server
    refused = run_harness(server.url, "--suite", "socket", env=server.credentials)
    assert refused.code == 1 and refused.causes == {"socketio-handshake-failed"}, refused.output
    assert "socketio.transports: [websocket]" in refused.output
    contract = tmp_path / "contract.yaml"
    raw = yaml.safe_load(DEFAULT_CONTRACT.read_text())
    raw["socketio"]["transports"] = ["websocket"]
    contract.write_text(yaml.safe_dump(raw))
    run = run_harness(server.url, "--suite", "socket", "--contract", str(contract),
                      env=server.credentials)
    assert run.code == 0, run.output
    outcomes = {check["id"].split("::")[-1]: check["outcome"] for check in run.report["checks"]}
    assert outcomes["test_message_round_trip[message]"] == "passed", outcomes
    assert outcomes["test_connect_refused[forged-token]"] == "passed", outcomes

"""`python -m harness init URL`: a starting contract in at most 15 requests, every guess
commented, and a run with it against the stack it describes is green."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from harness.commands.init_discover import MAX_REQUESTS
from harness.config import resolve
from harness.contract import load_contract
from harness.engine import RunResult, run
from harness.judge.kinds import shown_key
from harness.stacks.reference import ReferenceStack

ROOT = Path(__file__).resolve().parents[1]


def init(url: str, output: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SMOKE_", "REFERENCE_"))}
    return subprocess.run([sys.executable, "-m", "harness", "init", url, "-o", str(output)],
                          capture_output=True, text=True, timeout=60, env=env, cwd=ROOT)


def run_with(stack: ReferenceStack, contract: Path) -> RunResult:
    env = {"SMOKE_USERNAME": stack.settings.username, "SMOKE_PASSWORD": stack.settings.password}
    return run(resolve({"target_url": stack.url, "contract": str(contract)}, env=env),
               say=lambda line: None)


def not_passed(result: RunResult) -> dict[str, str]:
    return {shown_key(o.check.key): f"{o.outcome}: {o.message}" for o in result.outcomes
            if o.outcome != "passed" and o.check.key not in result.plan.left_out}


@pytest.mark.parametrize("faults", [[], ["health-variant", "nested-ids"]],
                         ids=["plain", "health-variant+nested-ids"])
def test_init_writes_a_contract_that_runs_green(tmp_path: Path, faults: list[str]) -> None:
    output = tmp_path / "contract.yaml"
    with ReferenceStack(faults) as stack:
        done = init(stack.url, output)
        assert done.returncode == 0, done.stderr
        assert stack.requests_received <= MAX_REQUESTS
        text = output.read_text()
        contract = load_contract(output)
        result = run_with(stack, output)
    assert result.verdict == "pass", (not_passed(result), text)
    assert f"wrote {output}" in done.stderr
    assert "# found: 401 without a token" in text
    assert text.startswith("# yaml-language-server: $schema=")
    assert {r.path for r in contract.protected_routes} >= {
        "/api/conversations", "/api/messages", "/api/notifications"}
    assert contract.health is not None and contract.health.route == "/api/health"
    word = "healthy" if "health-variant" in faults else "ok"
    assert contract.health.status_values == [word]
    assert f"# found: status '{word}'" in text
    if "health-variant" in faults:
        assert contract.health.expected_services == ["messaging", "auth"]
        assert "{status: ...}" in text
    assert contract.socketio.path == "/socket.io/"
    assert "Engine.IO v4 open packet" in text


def test_every_guess_is_commented(tmp_path: Path) -> None:
    output = tmp_path / "contract.yaml"
    with ReferenceStack(["db-down"]) as stack:
        assert init(stack.url, output).returncode == 0
    lines = output.read_text().splitlines()
    values = [line for line in lines if line.strip() and not line.lstrip().startswith("#")
              and ":" in line and not line.rstrip().endswith(":")]
    uncommented = [line for line in values if "#" not in line and not line.startswith(
        ("name:", "    ", "  - {method: POST"))]
    assert uncommented == [], uncommented
    text = "\n".join(lines)
    assert "# not found: 404" in text  # /api/users: left as a commented example
    assert "mongodb is listed but not ok" in text
    assert yaml.safe_load(text)["health"]["required_services"] == ["messaging"]


def test_a_gateway_without_socketio_gets_the_services_url(tmp_path: Path) -> None:
    output = tmp_path / "contract.yaml"
    with ReferenceStack(["socket-direct"]) as stack:
        done = init(stack.url, output)
        assert done.returncode == 0, done.stderr
        result = run_with(stack, output)
        messaging_url = stack.messaging_url
    assert "the gateway does not proxy Socket.IO" in done.stderr
    assert load_contract(output).socketio.url == messaging_url
    assert result.verdict == "pass", not_passed(result)


def test_a_websocket_only_service_gets_its_url_and_transports(tmp_path: Path) -> None:
    """The gateway does not proxy Socket.IO and the service's own server takes websockets
    only (its polling handshake answers 400, an unknown transport): its URL and transports:
    [websocket] are written, verified by one websocket opened, and the contract runs green."""
    output = tmp_path / "contract.yaml"
    with ReferenceStack(["socket-direct", "websocket-only-server"]) as stack:
        done = init(stack.url, output)
        assert done.returncode == 0, done.stderr
        result = run_with(stack, output)
        messaging_url = stack.messaging_url
    contract = load_contract(output)
    assert contract.socketio.url == messaging_url
    assert contract.socketio.transports == ["websocket"]
    assert "# found: a websocket opened directly got its open packet" in output.read_text()
    assert result.verdict == "pass", not_passed(result)


def test_init_against_no_gateway_is_an_error(tmp_path: Path) -> None:
    done = init("http://127.0.0.1:9", tmp_path / "c.yaml")
    assert done.returncode == 2
    assert "none of the usual routes" in done.stderr
    assert not (tmp_path / "c.yaml").exists()


def test_schema_command_prints_the_committed_schema() -> None:
    done = subprocess.run([sys.executable, "-m", "harness", "schema"], capture_output=True,
                          text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 0
    assert done.stdout.strip() == (ROOT / "fixtures" / "contract.schema.json").read_text().strip()

"""Contract files: the default validates; malformed files are one clear ContractError."""

from __future__ import annotations

from pathlib import Path

import pytest

from fixtures import DEFAULT_CONTRACT
from harness.contract import ContractError, load_contract


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "contract.yaml"
    path.write_text(text)
    return path


def test_default_contract_describes_the_platform() -> None:
    contract = load_contract(DEFAULT_CONTRACT)
    labels = {route.label for route in contract.protected_routes}
    assert {"GET /api/conversations", "POST /api/conversations", "GET /api/messages",
            "POST /api/messages", "GET /api/notifications"} <= labels
    assert contract.health.route == "/api/health"
    assert contract.auth.login is not None and contract.auth.login.token_field == "token"
    assert contract.socketio.path == "/socket.io/"
    assert contract.socketio.message_event == "message:new"
    assert "WebSocket service configuration error" in contract.error_signatures.socketio_proxy


def test_a_route_added_in_yaml_reaches_the_contract(tmp_path: Path) -> None:
    text = DEFAULT_CONTRACT.read_text().replace(
        "protected_routes:\n", "protected_routes:\n  - {method: GET, path: /api/users}\n")
    contract = load_contract(_write(tmp_path, text))
    assert "GET /api/users" in {route.label for route in contract.protected_routes}


@pytest.mark.parametrize(("text", "expected"), [
    ("name: [unclosed", "not valid YAML at line 1"),
    ("- just\n- a list\n", "must be a YAML mapping"),
    ("name: x\n", "protected_routes: Field required"),
    ("name: x\nprotected_routes: []\n", "protected_routes: List should have at least 1 item"),
    ("name: x\nprotected_routes:\n  - {method: GET, path: api/x}\n",
     "protected_routes.0.path: Value error, must start with '/'"),
    ("name: x\nprotected_routes:\n  - {method: GET, path: /x}\nsurprise: 1\n",
     "surprise: Extra inputs are not permitted"),
    ("name: x\nprotected_routes:\n  - {method: GET, path: /x}\ndefaults: {timeout_s: 0}\n",
     "defaults.timeout_s: Input should be greater than 0"),
])
def test_malformed_contracts_give_one_line(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ContractError) as info:
        load_contract(_write(tmp_path, text))
    message = str(info.value)
    assert expected in message
    assert "\n" not in message


def test_missing_contract_file(tmp_path: Path) -> None:
    with pytest.raises(ContractError, match="not found"):
        load_contract(tmp_path / "nope.yaml")

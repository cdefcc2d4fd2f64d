"""Configuration precedence: CLI option > SMOKE_* environment variable > contract default."""

from __future__ import annotations

from pathlib import Path

import pytest

from fixtures import DEFAULT_CONTRACT
from harness.config import ConfigError, parse_service_pairs, resolve, validate_url


@pytest.fixture
def contract_with_defaults(tmp_path: Path) -> Path:
    text = DEFAULT_CONTRACT.read_text().replace(
        "defaults:\n  timeout_s: 5\n",
        "defaults:\n  timeout_s: 7\n  origin: https://contract.example\n"
        "  expected_services:\n    messaging: http://contract:5005\n")
    assert text != DEFAULT_CONTRACT.read_text()
    path = tmp_path / "contract.yaml"
    path.write_text(text)
    return path


ENV = {"SMOKE_TARGET_URL": "https://env.example", "SMOKE_TIMEOUT": "3",
       "SMOKE_ORIGIN": "https://env-origin.example",
       "SMOKE_EXPECT_SERVICES": "messaging=http://env:5005"}
CLI = {"target_url": "https://cli.example/", "timeout": 1.5, "origin": "https://cli-origin.example",
       "expect_service": ["messaging=http://cli:5005"]}


def test_contract_defaults_apply_when_nothing_else_is_set(contract_with_defaults: Path) -> None:
    config = resolve({"contract": str(contract_with_defaults)}, env={})
    assert config.url is None
    assert config.timeout_s == 7
    assert config.origin == "https://contract.example"
    assert config.expected_services == {"messaging": "http://contract:5005"}


def test_environment_beats_contract(contract_with_defaults: Path) -> None:
    config = resolve({"contract": str(contract_with_defaults)}, env=ENV)
    assert config.url == "https://env.example"
    assert config.timeout_s == 3
    assert config.origin == "https://env-origin.example"
    assert config.expected_services == {"messaging": "http://env:5005"}


def test_cli_beats_environment(contract_with_defaults: Path) -> None:
    config = resolve({"contract": str(contract_with_defaults), **CLI}, env=ENV)
    assert config.url == "https://cli.example"
    assert config.timeout_s == 1.5
    assert config.origin == "https://cli-origin.example"
    assert config.expected_services == {"messaging": "http://cli:5005"}


def test_contract_path_from_environment_when_no_option(contract_with_defaults: Path) -> None:
    config = resolve({}, env={"SMOKE_CONTRACT": str(contract_with_defaults)})
    assert config.contract_path == contract_with_defaults


def test_credentials_and_secrets_come_from_the_environment() -> None:
    config = resolve({}, env={"SMOKE_USERNAME": "ann", "SMOKE_PASSWORD": "pw-12345",
                              "SMOKE_TOKEN": "tok-12345", "SMOKE_JWT_SECRET": "jwt-12345"})
    assert config.credentials.can_login and config.credentials.token == "tok-12345"
    assert set(config.secrets) == {"pw-12345", "tok-12345", "jwt-12345"}
    assert "pw-12345" not in repr(config) and "jwt-12345" not in repr(config)


@pytest.mark.parametrize("bad", ["0", "-1", "soon"])
def test_bad_timeout_is_a_config_error(bad: str) -> None:
    with pytest.raises(ConfigError, match="timeout"):
        resolve({}, env={"SMOKE_TIMEOUT": bad})


@pytest.mark.parametrize("url", ["example.com", "ftp://x", "http://", "http://h:port"])
def test_invalid_urls_are_rejected(url: str) -> None:
    with pytest.raises(ConfigError):
        validate_url(url)


def test_service_pairs_accept_repeats_and_commas() -> None:
    assert parse_service_pairs(["a=http://a:1,b=http://b:2", "c=http://c:3"]) == {
        "a": "http://a:1", "b": "http://b:2", "c": "http://c:3"}
    with pytest.raises(ConfigError, match="NAME=URL"):
        parse_service_pairs(["messaging"])

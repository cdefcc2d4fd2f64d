"""Configuration: one declaration of options, precedence, and wrong input as errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.cli import build_parser
from harness.config import ConfigError, resolve
from harness.config.options import OPTIONS
from harness.config.resolve import parse_services, validate_url


def test_option_over_environment_over_contract() -> None:
    config = resolve({"timeout": 2.0}, env={"SMOKE_TIMEOUT": "3"})
    assert config.timeout_s == 2.0
    assert resolve({}, env={"SMOKE_TIMEOUT": "3"}).timeout_s == 3.0
    assert resolve({}, env={}).timeout_s == 5.0


def test_every_option_reaches_the_cli_from_the_one_declaration() -> None:
    parser = build_parser()
    flags = {flag for action in parser._actions for flag in action.option_strings}
    for option in OPTIONS:
        assert set(option.flags) <= flags, option.flags


@pytest.mark.parametrize(("values", "env", "message"), [
    ({}, {"SMOKE_TARGET_URL": ""}, "SMOKE_TARGET_URL is set but empty"),
    ({"target_url": "http://127.0.0.1:9", "faults": ["port-mismatch"]}, {},
     "cannot change a target given by URL"),
    ({"target_url": "https://host.example/api"}, {}, "has a path (/api)"),
    ({"target_url": "ftp://host"}, {}, "must look like https://host"),
    ({"target_url": "http://host:abc"}, {}, "invalid port"),
    ({"target_url": "http://host", "hermetic": True}, {}, "use one of"),
    ({"compose_file": "c.yaml"}, {}, "needs --compose-gateway"),
    ({"service_log": ["/nonexistent.log"]}, {}, "no such file"),
    ({"max_requests": 0}, {}, "at least 1"),
    ({"timeout": 0}, {}, "--timeout (or SMOKE_TIMEOUT) must be a positive number of seconds"),
    ({"timeout": -1.5}, {}, "must be a positive number of seconds, got -1.5"),
    ({}, {"SMOKE_TIMEOUT": "0"}, "must be a positive number of seconds, got 0"),
    ({}, {"SMOKE_MAX_REQUESTS": "0"}, "must be at least 1, got 0"),
    ({"wait_until_healthy": 0}, {}, "--wait-until-healthy must be a positive number"),
    ({"start_timeout": -3}, {}, "--start-timeout must be a positive number"),
    ({"compose_port": 70000}, {}, "--compose-port must be a port number (1-65535)"),
    ({}, {"SMOKE_TIMEOUT": "soon"}, "must be a float"),
])
def test_wrong_input_is_an_error_not_a_default(values: dict, env: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=None) as caught:
        resolve(values, env=env)
    assert message in str(caught.value)


def test_url_with_a_declared_base_path_is_joined_once() -> None:
    config = resolve({"target_url": "https://host.example/api", "base_path": "/api"}, env={})
    assert config.url == "https://host.example"
    assert config.base_url == "https://host.example/api"


def test_userinfo_is_stripped_with_a_warning_and_never_kept() -> None:
    config = resolve({"target_url": "http://admin:pw123@127.0.0.1:9"}, env={})
    assert config.url == "http://127.0.0.1:9"
    assert "pw123" not in repr(config) and "user:password@" in config.warnings[0]


def test_service_expectations_as_urls_or_names() -> None:
    assert parse_services(["messaging=http://localhost:5005"]) == {
        "messaging": "http://localhost:5005"}
    assert parse_services(["messaging,auth"]) == ["messaging", "auth"]
    with pytest.raises(ConfigError):
        parse_services(["messaging=http://x", "auth"])


def test_secrets_are_known_to_the_config(tmp_path: Path) -> None:
    config = resolve({}, env={"SMOKE_TOKEN": "tok-123456", "SMOKE_PASSWORD": "pw-123456",
                              "SMOKE_USERNAME": "u", "SMOKE_JWT_SECRET": "sec-123456"})
    assert set(config.secrets) == {"tok-123456", "pw-123456", "sec-123456"}
    assert "tok-123456" not in repr(config)


def test_validate_url_drops_the_trailing_slash() -> None:
    assert validate_url("https://x.ngrok-free.app/") == "https://x.ngrok-free.app"


@pytest.mark.parametrize(("env", "said"), [
    ({"SMOKE_TOKEN": ""}, "SMOKE_TOKEN is set but empty"),
    ({"SMOKE_USERNAME": "", "SMOKE_PASSWORD": "x"}, "SMOKE_USERNAME is set but empty"),
    ({"SMOKE_PEER_TOKEN": " "}, "SMOKE_PEER_TOKEN is set but empty"),
    ({"SMOKE_OUTSIDER_USERNAME": "carol"}, "SMOKE_OUTSIDER_USERNAME is set but "
                                            "SMOKE_OUTSIDER_PASSWORD is not"),
    ({"SMOKE_JWT_SECRET": ""}, "SMOKE_JWT_SECRET is set but empty"),
])
def test_an_empty_or_half_given_secret_is_a_configuration_error(env: dict[str, str],
                                                                 said: str) -> None:
    with pytest.raises(ConfigError, match=said):
        resolve({"target_url": "http://gw.test"}, env=env)


def test_identities_and_every_secret_they_hold() -> None:
    config = resolve({"target_url": "http://gw.test"}, env={
        "SMOKE_TOKEN": "run-token-1", "SMOKE_PEER_TOKEN": "peer-token-2",
        "SMOKE_OUTSIDER_USERNAME": "carol", "SMOKE_OUTSIDER_PASSWORD": "outsider-pw-3"})
    assert set(config.identities) == {"peer", "outsider"}
    assert config.identities["outsider"].kind == "login"
    assert {"run-token-1", "peer-token-2", "outsider-pw-3"} <= set(config.secrets)


def test_a_service_log_may_name_its_service(tmp_path: Path) -> None:
    log = tmp_path / "chat.log"
    log.write_text("Chat Service is running: http://localhost:3002\n")
    config = resolve({"target_url": "http://gw.test", "service_log": [f"messaging={log}",
                                                                        str(log)]}, env={})
    from harness.plan.health import log_scans

    assert {(scan.service, scan.path) for scan in log_scans(config)} == {
        ("messaging", str(log)), ("", str(log))}
    with pytest.raises(ConfigError, match="no such file: messaging=/nowhere.log"):
        resolve({"target_url": "http://gw.test", "service_log": ["messaging=/nowhere.log"]},
                env={})


def test_a_dependencys_own_log_is_not_held_to_the_services_port(tmp_path: Path) -> None:
    redis = tmp_path / "redis.log"
    redis.write_text("1:M * Running mode=standalone, port=6379.\n")
    config = resolve({"target_url": "http://gw.test", "service_log": [str(redis),
                                                                        f"cache={redis}"]},
                     env={})
    from harness.plan.health import log_scans
    from harness.records.keys import PORT_CHECK

    scans = log_scans(config)
    assert scans and not any(scan.signature == PORT_CHECK and scan.service == ""
                             for scan in scans), "redis.log keeps its own port"
    assert any(scan.signature == PORT_CHECK and scan.service == "cache" for scan in scans)

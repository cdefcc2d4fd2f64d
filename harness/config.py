"""Target configuration, resolved in one place: CLI option > environment variable > contract."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from fixtures import DEFAULT_CONTRACT
from harness.contract import Contract, load_contract
from harness.ngrok import DEFAULT_AGENT_API, NgrokAgentError, public_url

ENV_PREFIX = "SMOKE_"
SECRET_ENV_VARS = ("SMOKE_TOKEN", "SMOKE_PASSWORD", "SMOKE_JWT_SECRET")


class ConfigError(Exception):
    """The options, environment or contract do not make a usable configuration."""


@dataclass(frozen=True)
class Credentials:
    token: str | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    @property
    def can_login(self) -> bool:
        return bool(self.username and self.password)

    @property
    def available(self) -> bool:
        return bool(self.token) or self.can_login


@dataclass(frozen=True)
class TargetConfig:
    url: str | None
    contract: Contract
    contract_path: Path
    credentials: Credentials = Credentials()
    jwt_secret: str | None = field(default=None, repr=False)
    expected_services: Mapping[str, str] = field(default_factory=dict)
    origin: str | None = None
    timeout_s: float = 5.0
    read_only: bool = False
    ngrok_api: str | None = None
    service_logs: tuple[str, ...] = ()

    @property
    def secrets(self) -> list[str]:
        values = [self.credentials.token, self.credentials.password, self.jwt_secret]
        return [value for value in values if value]


def parse_service_pairs(pairs: Sequence[str]) -> dict[str, str]:
    """`NAME=URL` strings (or comma-joined lists of them) into a mapping."""
    services: dict[str, str] = {}
    for chunk in pairs:
        for pair in filter(None, (part.strip() for part in chunk.split(","))):
            name, sep, url = pair.partition("=")
            if not sep or not name.strip() or not url.strip():
                raise ConfigError(f"--expect-service wants NAME=URL, got {pair!r}")
            services[name.strip()] = url.strip()
    return services


def validate_url(url: str) -> str:
    """A target URL must be http(s)://host[:port][/base]; the trailing slash is dropped."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"target URL must look like https://host[:port], got {url!r}")
    try:
        parts.port  # noqa: B018 - raises on a non-numeric port
    except ValueError:
        raise ConfigError(f"target URL has an invalid port: {url!r}") from None
    return url.rstrip("/")


def _first(*values: object) -> object:
    return next((value for value in values if value not in (None, "", [])), None)


def resolve(options: Mapping[str, object], env: Mapping[str, str] | None = None) -> TargetConfig:
    """Merge CLI/pytest options with SMOKE_* env vars and the contract's defaults."""
    env = os.environ if env is None else env
    contract_path = Path(str(_first(options.get("contract"), env.get("SMOKE_CONTRACT"),
                                    DEFAULT_CONTRACT)))
    contract = load_contract(contract_path)
    defaults = contract.defaults

    url = _first(options.get("target_url"), env.get("SMOKE_TARGET_URL"))
    timeout = _first(options.get("timeout"), env.get("SMOKE_TIMEOUT"), defaults.timeout_s)
    try:
        timeout_s = float(timeout)  # type: ignore[arg-type]
    except ValueError:
        raise ConfigError(f"timeout must be a number of seconds, got {timeout!r}") from None
    if timeout_s <= 0:
        raise ConfigError("timeout must be positive")

    cli_services = list(options.get("expect_service") or [])  # type: ignore[call-overload]
    if cli_services:
        expected = parse_service_pairs(cli_services)
    elif env.get("SMOKE_EXPECT_SERVICES"):
        expected = parse_service_pairs([env["SMOKE_EXPECT_SERVICES"]])
    else:
        expected = dict(defaults.expected_services)

    ngrok_api = _first(options.get("ngrok_api"), env.get("SMOKE_NGROK_API"))
    if url == "ngrok":
        ngrok_api = ngrok_api or DEFAULT_AGENT_API
        try:
            url = public_url(validate_url(str(ngrok_api)), timeout_s)
        except NgrokAgentError as exc:
            raise ConfigError(f"--target-url ngrok: {exc}") from None
    logs = tuple(str(path) for path in options.get("service_log") or ())  # type: ignore[attr-defined]
    missing = [path for path in logs if not Path(path).is_file()]
    if missing:
        raise ConfigError(f"--service-log: no such file: {', '.join(missing)}")

    return TargetConfig(
        url=validate_url(str(url)) if url else None,
        contract=contract,
        contract_path=contract_path,
        credentials=Credentials(
            token=env.get("SMOKE_TOKEN") or None,
            username=env.get("SMOKE_USERNAME") or None,
            password=env.get("SMOKE_PASSWORD") or None,
        ),
        jwt_secret=env.get("SMOKE_JWT_SECRET") or None,
        expected_services=expected,
        origin=_first(options.get("origin"), env.get("SMOKE_ORIGIN"), defaults.origin),  # type: ignore[arg-type]
        timeout_s=timeout_s,
        read_only=bool(options.get("read_only")),
        ngrok_api=validate_url(str(ngrok_api)) if ngrok_api else None,
        service_logs=logs,
    )

"""Resolve options, environment and contract into one RunConfig (CLI > env > contract).

Wrong input is an error, never a silent default: an empty SMOKE_TARGET_URL, `--fault` with a
URL, a URL with a path the contract does not explain, a service log that does not exist.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from harness._bundled import DEFAULT_CONTRACT
from harness.config.options import OPTIONS, RANGES, SUITES
from harness.contract import Contract, load_contract
from harness.sanitize.url import strip_userinfo

DEFAULT_AGENT_API = "http://127.0.0.1:4040"


class ConfigError(Exception):
    """The options, environment or contract do not make a usable configuration."""


@dataclass(frozen=True)
class Credentials:
    """A token, or a username and password to log in with; `user_id` is the user's id when
    it is known without a login answer (a token kept from an earlier login of watch)."""

    token: str | None = field(default=None, repr=False)
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    user_id: str | None = None

    @property
    def can_login(self) -> bool:
        return bool(self.username and self.password)

    @property
    def kind(self) -> str:
        return "token" if self.token else "login" if self.can_login else "none"


@dataclass(frozen=True)
class RunConfig:
    """Everything a run needs to know, resolved once."""

    url: str | None
    contract: Contract
    contract_path: Path
    base_path: str = ""
    credentials: Credentials = Credentials()
    identities: Mapping[str, Credentials] = field(default_factory=dict)
    jwt_secret: str | None = field(default=None, repr=False)
    expected_services: Mapping[str, str] | Sequence[str] = field(default_factory=dict)
    origin: str | None = None
    timeout_s: float = 5.0
    suites: tuple[str, ...] = SUITES
    read_only: bool = False
    strict: bool = False
    thorough: bool = False
    sequential: bool = False
    max_requests: int | None = None
    wait_until_healthy: float | None = None
    ngrok_api: str | None = None
    service_logs: tuple[str, ...] = ()
    faults: tuple[str, ...] = ()
    stack: str = "url"
    compose: Mapping[str, Any] = field(default_factory=dict)
    start_timeout_s: float = 120.0
    report_json: str | None = None
    signoff_report: str | None = None
    baseline: str | None = None
    allure_history: str | None = None
    history: str | None = None
    keep_history: bool = True
    target_name: str | None = None
    tunnel: str | None = None
    warnings: tuple[str, ...] = ()
    options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def secrets(self) -> list[str]:
        people = [self.credentials, *self.identities.values()]
        values = [v for c in people for v in (c.token, c.password)] + [self.jwt_secret]
        return [value for value in values if value]

    @property
    def base_url(self) -> str:
        assert self.url, "the target URL is known once the stack has started"
        return self.url + self.base_path

    @property
    def contract_sha256(self) -> str:
        return hashlib.sha256(self.contract_path.read_bytes()).hexdigest()

    @property
    def target_key(self) -> str:
        """What makes two runs runs of the same target: its --target-name, the ngrok tunnel's
        name (a new public URL of the same tunnel is the same target), the URL, or the kind of
        stack the run started (every embedded stack gets a new port), or the compose file."""
        if self.target_name:
            return self.target_name
        if self.stack == "ngrok" and self.tunnel:
            return f"ngrok:{self.tunnel}"
        if self.stack in ("embedded", "hermetic"):
            return self.stack
        if self.stack == "compose":
            return f"compose:{self.compose.get('compose_file')}"
        return self.url or self.stack

    def with_target(self, url: str, **changes: Any) -> RunConfig:
        return replace(self, url=url, **changes)


IDENTITIES = {"peer": "SMOKE_PEER_", "outsider": "SMOKE_OUTSIDER_"}


def _secret(env: Mapping[str, str], name: str) -> str | None:
    """A secret from the environment: unset is None, set but empty is an error."""
    if name not in env:
        return None
    if not env[name].strip():
        raise ConfigError(f"{name} is set but empty (a missing CI secret?); unset it or give it "
                          "a value")
    return env[name]


def credentials_from(env: Mapping[str, str], prefix: str) -> Credentials:
    """`<prefix>TOKEN`, or `<prefix>USERNAME` with `<prefix>PASSWORD` (both or neither)."""
    token = _secret(env, f"{prefix}TOKEN")
    username, password = _secret(env, f"{prefix}USERNAME"), _secret(env, f"{prefix}PASSWORD")
    if bool(username) != bool(password) and not token:
        given, missing = ("USERNAME", "PASSWORD") if username else ("PASSWORD", "USERNAME")
        raise ConfigError(f"{prefix}{given} is set but {prefix}{missing} is not: give both to "
                          f"log in, or {prefix}TOKEN")
    return Credentials(token, username, password)


def _given(value: object) -> bool:
    """A value the user gave: 0 is one (a number), False (a flag left off) is not."""
    return value is not None and value is not False and value != "" and value != []


def _numbers(values: Mapping[str, Any], env: Mapping[str, str]) -> None:
    """Every numeric option given (flag or variable) within its range (RANGES, by metavar):
    a 0 or negative timeout is refused, never replaced by the default."""
    for option in OPTIONS:
        if option.type not in (int, float) or option.metavar not in RANGES:
            continue
        value = _pick(values, env, option.dest)
        lowest, highest, words = RANGES[option.metavar]
        if value is not None and (value < lowest or highest is not None and value > highest):
            name = option.flags[-1] + (f" (or {option.env})" if option.env else "")
            raise ConfigError(f"{name} must be {words}, got {value:g}")


def _pick(values: Mapping[str, Any], env: Mapping[str, str], dest: str) -> Any:
    """The option's value, else its environment variable's (an empty variable is an error)."""
    if _given(values.get(dest)):
        return values[dest]
    option = next(option for option in OPTIONS if option.dest == dest)
    if option.env and option.env in env:
        raw = env[option.env]
        if not raw.strip():
            raise ConfigError(f"{option.env} is set but empty (a missing CI secret?); unset it "
                              "or give it a value")
        if option.action == "append":
            return [part for part in raw.split(",") if part.strip()]
        try:
            return option.type(raw) if option.type else raw
        except ValueError:
            raise ConfigError(f"{option.env} must be a {option.type.__name__}, "  # type: ignore[union-attr]
                              f"got {raw!r}") from None
    return values.get(dest)


def validate_url(url: str, what: str = "target URL") -> str:
    """http(s)://host[:port][/path]; the trailing slash is dropped."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{what} must look like https://host[:port], got {url!r}")
    try:
        parts.port  # noqa: B018 - raises on a non-numeric port
    except ValueError:
        raise ConfigError(f"{what} has an invalid port: {url!r}") from None
    if parts.query or parts.fragment:
        raise ConfigError(f"{what} must not carry a query or fragment: {url!r}")
    return url.rstrip("/")


def parse_services(items: Sequence[str]) -> dict[str, str] | list[str]:
    """NAME=URL pairs into a map, or bare NAMEs into a list (not both)."""
    pairs = [item.strip() for chunk in items for item in chunk.split(",") if item.strip()]
    if all("=" not in pair for pair in pairs):
        return pairs
    services = {}
    for pair in pairs:
        name, sep, url = pair.partition("=")
        if not sep or not name.strip() or not url.strip():
            raise ConfigError(f"--expect-service wants NAME=URL (or only names), got {pair!r}")
        where = urlsplit(url.strip())
        if where.scheme not in ("http", "https", "ws", "wss") or not where.hostname:
            raise ConfigError(f"--expect-service {pair}: {url.strip()!r} is not a URL (give "
                              f"NAME=http://host:port, or NAME alone to require the service "
                              f"without its address)")
        services[name.strip()] = url.strip()
    return services


def _split_base(url: str, base_path: str) -> tuple[str, str]:
    """(origin URL, base path): a URL's path must be the declared base path."""
    parts = urlsplit(url)
    path = parts.path.rstrip("/")
    origin = f"{parts.scheme}://{parts.netloc}"
    base = _base(base_path)
    if path and path != base:
        hint = (f"pass --base-path {path} if the gateway serves the contract's routes under "
                f"{path}" if not base else f"it differs from the base path {base}")
        raise ConfigError(f"the target URL {url} has a path ({path}): the contract's routes "
                          f"already start at the root (e.g. /api/health); give the gateway's "
                          f"root URL, or {hint}")
    return origin, base


def service_log(spec: str) -> tuple[str, str]:
    """A --service-log value: `messaging=chat.log` -> ("messaging", "chat.log"); a bare path
    has no service name."""
    name, sep, path = spec.partition("=")
    return (name, path) if sep and name and "/" not in name else ("", spec)


def _base(base_path: str) -> str:
    return "/" + base_path.strip("/") if base_path.strip("/") else ""


def resolve(values: Mapping[str, Any], env: Mapping[str, str] | None = None) -> RunConfig:
    """Merge option values (by dest) with SMOKE_* variables and the contract's defaults."""
    env = os.environ if env is None else env
    pick = lambda dest: _pick(values, env, dest)  # noqa: E731
    contract_path = Path(str(pick("contract") or DEFAULT_CONTRACT))
    contract = load_contract(contract_path)
    warnings: list[str] = []
    url = pick("target_url")
    faults = tuple(values.get("faults") or ())
    stack = "hermetic" if values.get("hermetic") else \
        "compose" if values.get("compose_file") else "url" if url else "embedded"
    if sum(map(bool, (url, values.get("hermetic"), values.get("compose_file")))) > 1:
        raise ConfigError("use one of a target URL, --hermetic, --compose-file")
    if faults and stack not in ("embedded", "hermetic"):
        raise ConfigError("--fault switches a fault on in the embedded or --hermetic stack; "
                          "it cannot change a target given by URL")
    if values.get("compose_file") and not values.get("compose_gateway"):
        raise ConfigError("--compose-file needs --compose-gateway SERVICE")
    _numbers(values, env)
    timeout = pick("timeout")
    timeout = contract.defaults.timeout_s if timeout is None else timeout
    ngrok_api = pick("ngrok_api")
    if url == "ngrok":  # the agent is asked for its public URL where stacks start
        ngrok_api, url, stack = ngrok_api or DEFAULT_AGENT_API, None, "ngrok"
    base_path = _base(pick("base_path") or contract.base_path)
    if url:
        url, had_userinfo = strip_userinfo(validate_url(str(url)))
        if had_userinfo:
            warnings.append("the target URL carried user:password@; it was removed and is "
                            "never sent (give credentials with SMOKE_TOKEN or SMOKE_USERNAME/"
                            "SMOKE_PASSWORD)")
        url, base_path = _split_base(url, pick("base_path") or contract.base_path)
    logs = tuple(str(path) for path in values.get("service_log") or ())
    missing = [spec for spec in logs if not Path(service_log(spec)[1]).is_file()]
    if missing:
        raise ConfigError(f"--service-log: no such file: {', '.join(missing)}")
    services = pick("expect_service")
    expected = parse_services(services) if services else \
        (contract.health.expected_services if contract.health else {}) or \
        dict(contract.defaults.expected_services)
    max_requests = pick("max_requests")
    suites = tuple(name for chunk in values.get("suite") or [] for name in chunk) or SUITES
    if values.get("no_history") and values.get("history"):
        raise ConfigError("--history and --no-history: choose one")
    given_name = values.get("target_name")
    if given_name is not None and not str(given_name).strip():
        raise ConfigError("--target-name must not be empty")
    target_name = pick("target_name")
    return RunConfig(
        url=url or None, contract=contract, contract_path=contract_path, base_path=base_path,
        credentials=credentials_from(env, "SMOKE_"),
        identities={role: people for role, prefix in IDENTITIES.items()
                    if (people := credentials_from(env, prefix)).kind != "none"},
        jwt_secret=_secret(env, "SMOKE_JWT_SECRET"), expected_services=expected,
        origin=pick("origin") or contract.defaults.origin, timeout_s=float(timeout),
        suites=suites, read_only=bool(values.get("read_only")),
        strict=bool(values.get("strict")) or contract.strict,
        thorough=bool(values.get("thorough")), sequential=bool(values.get("sequential")),
        max_requests=max_requests, wait_until_healthy=values.get("wait_until_healthy"),
        ngrok_api=validate_url(ngrok_api, "--ngrok-api") if ngrok_api else None,
        service_logs=logs, faults=faults, stack=stack,
        compose={key: values.get(key) for key in ("compose_file", "compose_gateway",
                                                   "compose_port")},
        start_timeout_s=float(values.get("start_timeout") or 120.0),  # 0: refused above
        report_json=values.get("report_json"), signoff_report=values.get("signoff_report"),
        baseline=values.get("baseline"), warnings=tuple(warnings),
        allure_history=values.get("allure_history"),
        history=str(pick("history")) if pick("history") else None,
        keep_history=not values.get("no_history"),
        target_name=str(target_name).strip() if target_name else None,
        options={key: (url if key in ("target_url", "url") else value)
                 for key, value in values.items()
                 if _given(value) and key != "show_plan"},
    )

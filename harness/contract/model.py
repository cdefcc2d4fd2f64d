"""The contract file: a YAML description of the platform, validated with pydantic."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

HttpMethod = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]


class ContractError(Exception):
    """The contract file is missing, not YAML, or does not match the schema."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Route(_Model):
    method: HttpMethod
    path: str
    body: dict[str, Any] | None = None
    writes: bool = False

    @field_validator("path")
    @classmethod
    def _absolute(cls, path: str) -> str:
        if not path.startswith("/"):
            raise ValueError("must start with '/'")
        return path

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"


class HealthAlias(_Model):
    name: str
    path: str


class Health(_Model):
    route: str = "/api/health"
    status_values: list[str] = ["ok", "healthy"]
    aggregate: str | None = "/api/health/aggregate"
    required_services: list[str] = ["messaging"]
    aliases: list[HealthAlias] = []
    latency_budget_ms: int = Field(1000, gt=0)
    route_budgets_ms: dict[str, int] = {}

    def budget_ms(self, path: str) -> int:
        """The latency budget of `path`: its own entry, else the health-wide one."""
        return self.route_budgets_ms.get(path, self.latency_budget_ms)


class Ngrok(_Model):
    expected_upstream_port: int | None = Field(None, gt=0, lt=65536)


class LogSignature(_Model):
    name: str
    pattern: str
    meaning: str

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, pattern: str) -> str:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from None
        return pattern


class ServiceLogs(_Model):
    signatures: list[LogSignature] = [
        LogSignature(name="duplicate-schema-index", pattern=r"Duplicate schema index",
                     meaning="a Mongoose schema declares the same index twice"),
        LogSignature(name="deprecated-driver-option",
                     pattern=r"(useNewUrlParser|useUnifiedTopology) is a deprecated option",
                     meaning="remove the deprecated option from the MongoDB connection config"),
        LogSignature(name="redis-fallback",
                     pattern=r"(?i)redis (is )?(not available|unavailable)|using memory store",
                     meaning="Redis is unreachable; rate limits and caches fall back to memory"),
        LogSignature(name="handle-upgrade-twice",
                     pattern=r"handleUpgrade\(\) was called more than once",
                     meaning="two websocket servers handle the same upgrade: websockets break"),
        LogSignature(name="hpm-missing-target", pattern=r'\[HPM\] Missing "target" option',
                     meaning="the gateway created a proxy without a target (an unset service URL)"),
    ]
    port_pattern: str = r"(?i)running on port (\d+)"
    expected_port: int | None = Field(None, gt=0, lt=65536)

    @field_validator("port_pattern")
    @classmethod
    def _one_group(cls, pattern: str) -> str:
        try:
            groups = re.compile(pattern).groups
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from None
        if groups != 1:
            raise ValueError("needs exactly one group, the port number")
        return pattern


class Login(_Model):
    method: HttpMethod = "POST"
    path: str = "/api/auth/login"
    username_field: str = "username"
    password_field: str = "password"
    token_field: str = "token"


class Auth(_Model):
    scheme: str = "Bearer"
    accepted_statuses: list[int] = [401]
    login: Login | None = Login()


class SocketIO(_Model):
    path: str = "/socket.io/"
    namespace: str = "/"
    auth_field: str = "token"
    join_event: str = "conversation:join"
    join_field: str = "conversationId"
    message_event: str = "message:new"
    event_budget_ms: int = Field(3000, gt=0)
    conversation_id: str | None = None


class ErrorSignatures(_Model):
    socketio_proxy: list[str] = ["WebSocket service configuration error"]
    proxy_error: list[str] = [
        "Error occurred while trying to proxy", "ECONNREFUSED", "ECONNRESET",
        "ENOTFOUND", "ETIMEDOUT", "socket hang up",
    ]
    generic: list[str] = [
        "Messaging service unavailable", "Service Unavailable", "Internal Server Error",
    ]
    stack_trace: list[str] = [
        r"\n\s+at [^\n]+\([^\n]*:\d+:\d+\)",
        r"Traceback \(most recent call last\)",
        r"/node_modules/",
        r"File \"[^\"]+\.py\", line \d+",
    ]


class Flow(_Model):
    """The authenticated happy path: create a conversation, then post a message in it."""

    create_conversation: str = "/api/conversations"
    post_message: str = "/api/messages"
    title_field: str = "title"
    conversation_field: str = "conversationId"
    text_field: str = "text"
    id_fields: list[str] = ["id", "_id"]
    created_statuses: list[int] = [201]
    tag_prefix: str = "smoke-"


class Defaults(_Model):
    """Values the contract suggests; CLI options and env vars override them."""

    timeout_s: float = Field(5.0, gt=0)
    origin: str | None = None
    expected_services: dict[str, str] = {}


class Contract(_Model):
    name: str
    description: str = ""
    defaults: Defaults = Defaults()
    health: Health = Health()
    auth: Auth = Auth()
    protected_routes: list[Route] = Field(min_length=1)
    unknown_route: str = "/api/smoke-harness-no-such-route"
    unknown_route_statuses: list[int] = [404]
    max_body_bytes: int = Field(100 * 1024, gt=0)
    flow: Flow = Flow()
    socketio: SocketIO = SocketIO()
    error_signatures: ErrorSignatures = ErrorSignatures()
    ngrok: Ngrok = Ngrok()
    service_logs: ServiceLogs = ServiceLogs()

    @property
    def write_routes(self) -> list[Route]:
        return [route for route in self.protected_routes if route.method != "GET"]


def load_contract(path: str | Path) -> Contract:
    """Read and validate a contract file; every problem becomes one ContractError line."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ContractError(f"contract file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ContractError(f"cannot read contract file {path}: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ContractError(f"contract file {path} is not valid YAML{where}") from None
    if not isinstance(raw, dict):
        raise ContractError(f"contract file {path} must be a YAML mapping at the top level")
    try:
        return Contract.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in err['loc']) or '(top)'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ContractError(f"contract file {path} is invalid: {problems}") from None

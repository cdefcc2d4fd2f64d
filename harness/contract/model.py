"""The contract model: every key a contract file may hold, with its default and meaning."""

from __future__ import annotations

import fnmatch
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

HttpMethod = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Route(_Model):
    method: HttpMethod
    path: str
    body: dict[str, Any] | None = None
    writes: bool = False
    query: dict[str, str] = Field({}, description="query parameters sent with an authorized "
                                  "request; values may use {conversation_id}")
    timeout_s: float | None = Field(None, gt=0, description="this route's own timeout")
    authorization: Literal["private", "public"] = Field(
        "private", description="public: any logged-in user may read it (a profile page); it is "
        "then exempt from the outsider's denial, not from authorization.private_fields")

    @field_validator("path")
    @classmethod
    def _absolute(cls, path: str) -> str:
        if not path.startswith("/"):
            raise ValueError("must start with '/'")
        return path

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def placeholders(self) -> set[str]:
        """`{name}` placeholders in the path and query (filled from the run's values)."""
        text = self.path + "".join(self.query.values())
        return set(re.findall(r"\{(\w+)\}", text))


class HealthAlias(_Model):
    name: str
    path: str


class Health(_Model):
    route: str | None = "/api/health"
    status_values: list[str] = ["ok", "healthy"]
    aggregate: str | None = "/api/health/aggregate"
    required_services: list[str] = ["messaging"]
    aliases: list[HealthAlias] = []
    latency_budget_ms: int = Field(1000, gt=0)
    route_budgets_ms: dict[str, int] = {}
    expected_services: dict[str, str] | list[str] = Field(
        {}, description="what /api/health must report: a name -> URL map, or a list of names")
    restart_fields: list[str] = Field(
        ["uptime", "startedAt", "bootId", "pid"], description="`watch`: the first of these "
        "(dotted paths) the health answer has tells a restart: an uptime that went back, any "
        "other that changed")

    def budget_ms(self, path: str) -> int:
        """The latency budget of `path`: its own entry, else the health-wide one."""
        return self.route_budgets_ms.get(path, self.latency_budget_ms)


class Ngrok(_Model):
    expected_upstream_port: int | None = Field(None, gt=0, lt=65536)


class LogSignature(_Model):
    name: str
    pattern: str
    meaning: str
    dependency: str | None = Field(None, description="the dependency a match says is down "
                                   "(mongodb, redis, postgres, mysql, rabbitmq, kafka): a "
                                   "match is then dependency-down, not a log warning")

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
        LogSignature(name="node-crash",
                     pattern=r"Unhandled '\w+' event|uncaughtException|UnhandledPromiseRejection|"
                             r"Unhandled promise rejection",
                     meaning="the Node process died of an uncaught error"),
        LogSignature(name="mongodb-unreachable",
                     pattern=r"Mongo(?:ServerSelection|Network|Topology\w*)Error|"
                             r"MongooseServerSelectionError|ECONNREFUSED \S+:27017",
                     meaning="the service cannot reach MongoDB", dependency="mongodb"),
        LogSignature(name="redis-unreachable",
                     pattern=r"SocketClosedUnexpectedlyError|ClientClosedError|"
                             r"(?i:redis) (?:connection|client) (?:error|lost|closed)|"
                             r"ECONNREFUSED \S+:6379",
                     meaning="the service cannot reach Redis", dependency="redis"),
    ]
    port_pattern: str = (r"(?i)(?:running|listening|started|ready|läuft|escuchando|écoute)\b"
                         r"[^\n]*?(?:\bport\b\s*[:=]?\s*|https?://[\w.\[\]-]+:|\bon\s+:?)(\d{2,5})\b")
    start_marker: str | None = Field(None, description="a line that marks a service start "
                                     "(default: port_pattern); the scan reads the last start")
    start_preamble_lines: int = Field(20, ge=0, description="lines before the start line that "
                                      "belong to the same start")
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
    token_field: str = Field("token", description="dotted path of the token in the answer "
                             "(e.g. data.token)")
    token_cookie: str | None = Field(None, description="the cookie the login sets the token in")
    url: str | None = Field(None, description="the base URL of a login served by another host "
                            "than the gateway (e.g. the auth service's own port)")

    @field_validator("url")
    @classmethod
    def _base_url(cls, url: str | None) -> str | None:
        if url is not None and not re.match(r"^https?://[^/?#]+/?$", url):
            raise ValueError("must be a base URL like http://host:port")
        return url.rstrip("/") if url else url


class Auth(_Model):
    scheme: str = Field("Bearer", description="Authorization scheme, or cookie:<name> for "
                        "routes that read the token from a cookie")
    accepted_statuses: list[int] = [401]
    login: Login | None = Login()
    user_id: str | None = Field(
        None, pattern=r"^(claim:\w+|login:[\w.]+|GET /\S*#[\w.]+)$",
        description="where a user's id is: claim:<name> (the token's claim), login:<dotted "
        "path> (the login answer; a token given without a login is read for its claims), or "
        "'GET <path>#<dotted path>'; by default the token's sub, id, userId or _id, then the "
        "login answer's user.id")

    @property
    def cookie_name(self) -> str | None:
        return self.scheme.split(":", 1)[1] if self.scheme.startswith("cookie:") else None


class SocketIO(_Model):
    url: str | None = Field(None, description="base URL of the Socket.IO server when the "
                            "gateway does not proxy it")
    path: str = "/socket.io/"
    namespace: str = "/"
    auth_field: str = "token"
    join_event: str = "conversation:join"
    join_field: str = "conversationId"
    message_event: str = "message:new"
    event_budget_ms: int = Field(3000, gt=0)
    conversation_id: str | None = None
    join_confirm: str = Field("ack", pattern=r"^(ack|none|event:.+)$",
                              description="ack, event:<name> the server emits on a join, or "
                              "none (the server confirms nothing: the realtime event shows it)")
    probe_events: list[str] = Field([], description="more events the server handles (e.g. "
                                    "typing): each is also sent empty and with a wrong type")
    join_payload: Any = Field(None, description="the join payload template (an object or a "
                              "bare value); {conversation_id} is filled in. Default: "
                              "{join_field: conversation_id}")
    transports: list[Literal["polling", "websocket"]] = Field(
        ["polling", "websocket"], min_length=1,
        description="the transports the server accepts: [websocket] for a server started with "
        "transports: ['websocket'] (no polling handshake, no upgrade: sessions open over "
        "websocket directly)")

    @property
    def polling(self) -> bool:
        """Whether the server takes the polling transport (the handshake and the upgrade)."""
        return "polling" in self.transports

    @property
    def confirm_event(self) -> str | None:
        return self.join_confirm.split(":", 1)[1] if self.join_confirm.startswith("event:") \
            else None


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
        r"\\n\s+at [^\\]+?\([^)]*:\d+:\d+\)",
        r"\n\s+at [^\n]*[/\\][^\n/\\]+\.(?:[cm]?js|ts):\d+:\d+",
        r"Traceback \(most recent call last\)",
        r"/node_modules/",
        r"File \"[^\"]+\.py\", line \d+",
    ]


class Flow(_Model):
    """The authenticated happy path: create a conversation, then post a message in it."""

    create_conversation: str | None = Field("/api/conversations", description="null: the "
                                            "platform has no REST create (flow.conversation_id "
                                            "is used)")
    post_message: str | None = Field("/api/messages", description="null: the platform has no "
                                     "REST post")
    title_field: str = "title"
    conversation_field: str = "conversationId"
    text_field: str = "text"
    id_fields: list[str] = Field(["id", "_id"], description="dotted paths where the created "
                                 "conversation's id may be (e.g. data.conversation.id)")
    conversation_id: str | None = Field(None, description="an existing conversation used when "
                                        "create is unavailable or with --read-only")
    message_via: str = Field("rest", pattern=r"^(rest|socket:.+)$",
                             description="rest, or socket:<event> to post over Socket.IO")
    created_statuses: list[int] = [201]
    tag_prefix: str = "smoke-"


class Notifications(_Model):
    """Notifications of a new message, on the same Socket.IO server or a separate one."""

    event: str = Field(description="the event a notification arrives as (notification:new)")
    url: str | None = Field(None, description="base URL of a separate notification Socket.IO "
                            "server (default: the messaging one)")
    path: str = Field("/socket.io/", description="the notification server's Engine.IO path")


class Authorization(_Model):
    """What another user may not do: the denial statuses and the fields that are private."""

    denied_statuses: list[int] = Field([], description="the statuses that deny another user "
                                       "(default: any 4xx)")
    private_fields: list[str] = Field([], description="fields whose values of one user must "
                                      "not appear in what another user reads (e.g. email)")

    def denied(self, status: int) -> bool:
        return status in self.denied_statuses if self.denied_statuses else 400 <= status < 500


class KnownIssue(_Model):
    """A failure the team knows of: reported as known, does not fail the verdict."""

    check: str = Field(description="a check id or a glob over check ids")
    reason: str
    link: str | None = None
    cause: str | None = Field(None, description="the cause code it fails with; failing with "
                              "another cause is a new failure")

    def matches(self, *names: str) -> bool:
        """Whether `check` names one of `names` (a check's report id, key or case id): equal,
        or as a glob. Equality first: check ids hold brackets (`test_lists[GET /api/x]`),
        which a glob reads as a character class."""
        return any(self.check == name or fnmatch.fnmatchcase(name, self.check)
                   for name in names)


class RateLimit(_Model):
    """A limit the target enforces without necessarily saying so in its headers."""

    prefix: str | list[str] = Field(description="a route prefix, or prefixes sharing one "
                                    "counter (a service's REST routes and /socket.io)")
    limit: int = Field(gt=0, description="requests allowed per window")
    window_s: float = Field(gt=0, description="the sliding window, in seconds")

    @field_validator("prefix")
    @classmethod
    def _absolute(cls, prefix: str | list[str]) -> str | list[str]:
        if not all(p.startswith("/") for p in ([prefix] if isinstance(prefix, str) else prefix)):
            raise ValueError("a prefix must start with '/'")
        if isinstance(prefix, list) and not prefix:
            raise ValueError("give at least one prefix")
        return prefix

    @property
    def prefixes(self) -> tuple[str, ...]:
        return (self.prefix,) if isinstance(self.prefix, str) else tuple(self.prefix)

    def covers(self, path: str) -> bool:
        """Whether a request to `path` counts against this limit."""
        return any(path.startswith(prefix) for prefix in self.prefixes)

    @property
    def label(self) -> str:
        return f"{', '.join(self.prefixes)} ({self.limit} per {self.window_s:g} s)"


class Defaults(_Model):
    """Values the contract suggests; CLI options and env vars override them."""

    timeout_s: float = Field(5.0, gt=0)
    origin: str | None = None
    expected_services: dict[str, str] = {}


class Contract(_Model):
    name: str
    description: str = ""
    defaults: Defaults = Defaults()
    base_path: str = Field("", description="prefix the gateway serves the contract's paths "
                           "under (a target URL with a path must match it)")
    strict: bool = Field(False, description="also require a 4xx for a wrong content type or a "
                         "malformed body sent with a valid token")
    known_issues: list[KnownIssue] = []
    health: Health | None = Health()
    auth: Auth = Auth()
    protected_routes: list[Route] = Field(min_length=1)
    unknown_route: str = "/api/smoke-harness-no-such-route"
    unknown_route_statuses: list[int] = [404]
    max_body_bytes: int = Field(100 * 1024, gt=0)
    flow: Flow = Flow()
    authorization: Authorization = Authorization()
    socketio: SocketIO = SocketIO()
    notifications: Notifications | None = Field(None, description="with a peer and an "
                                                "outsider: the peer gets exactly one "
                                                "notification per message, the outsider none")
    error_signatures: ErrorSignatures = ErrorSignatures()
    ngrok: Ngrok = Ngrok()
    service_logs: ServiceLogs = ServiceLogs()
    rate_limits: list[RateLimit] = Field([], description="limits the target enforces (perhaps "
                                         "without headers): every run fits what this machine "
                                         "has left of them within the window")

    @property
    def write_routes(self) -> list[Route]:
        return [route for route in self.protected_routes if route.method != "GET"]

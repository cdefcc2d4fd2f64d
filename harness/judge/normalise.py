"""The normal form of real answers: one place that knows the shapes gateways really send.

Health documents (`status` ok/healthy/up, `ok: true`, `success: true`), aggregates as a map or
a list, in `services`/`checks`/`dependencies`, error messages nested at any depth
(`{"error": {"message": ...}}`), service maps as URLs or as names; tokens, created ids, acks and
versions where real servers put them. Rules judge only this form; the engine hands the readers
of run values to the executor, which does not know the shapes itself.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from harness.contract.model import Login
from harness.contract.paths import ID_PATHS, TOKEN_PATHS, first_scalar, url_port, with_defaults
from harness.records.http import HttpAnswer

LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0"})
OK_WORDS = frozenset({"ok", "healthy", "up", "pass", "passing", "green", "available"})
_NAME_KEYS = ("service", "name", "id")
_AGGREGATE_KEYS = ("services", "checks", "dependencies", "components")
_MESSAGE_KEYS = ("message", "error", "msg", "reason", "detail", "details", "description",
                 "errors")


@dataclass(frozen=True)
class ServiceState:
    """One service as an aggregate reports it."""

    name: str
    ok: bool
    error: str
    url: str | None = None


def status_word(body: Mapping[str, Any]) -> str | None:
    """The health status as a lower-case word: `status`, else `ok`/`success`/`healthy` flags.

    A numeric `status` is the HTTP status a gateway got from the service (`"status": 200`):
    2xx is ok, anything else is said as `status N`.
    """
    status = body.get("status")
    if isinstance(status, str):
        return status.lower()
    if isinstance(status, int) and not isinstance(status, bool) and \
            not any(isinstance(body.get(key), bool) for key in ("ok", "success", "healthy")):
        return "ok" if 200 <= status < 300 else f"status {status}"
    for key in ("ok", "success", "healthy"):
        if isinstance(body.get(key), bool):
            return "ok" if body[key] else "not ok"
    return None


def is_ok(entry: Any, accepted: Collection[str] = ()) -> bool:
    """A health entry (object, bool or status word) that says healthy."""
    if isinstance(entry, bool):
        return entry
    if isinstance(entry, str):
        return entry.lower() in OK_WORDS | {s.lower() for s in accepted}
    if not isinstance(entry, Mapping):
        return False
    for key in ("ok", "healthy", "success"):
        if isinstance(entry.get(key), bool):
            return entry[key]
    word = status_word(entry)
    return word is not None and word in OK_WORDS | {s.lower() for s in accepted}


def error_text(body: Any, depth: int = 0) -> str:
    """The error message of a body, however deep (`{"error": {"message": ...}}`)."""
    if depth > 6:
        return ""
    if isinstance(body, str):
        return body
    if isinstance(body, Mapping):
        for key in _MESSAGE_KEYS:
            if key in body and body[key] not in (None, "", False):
                found = error_text(body[key], depth + 1)
                if found:
                    return found
        if "status" in body and not is_ok(body):
            return f"status {body['status']}"
    if isinstance(body, list) and body:
        return error_text(body[0], depth + 1)
    return ""


def aggregate(body: Any, accepted: Collection[str] = ()) -> dict[str, ServiceState] | None:
    """Every service an aggregate lists, by name; None when the body is no aggregate."""
    entries: Any = None
    if isinstance(body, Mapping):
        entries = next((body[key] for key in _AGGREGATE_KEYS
                        if isinstance(body.get(key), (Mapping, list))), None)
    elif isinstance(body, list):
        entries = body
    if isinstance(entries, Mapping):
        pairs = list(entries.items())
    elif isinstance(entries, list) and entries and all(isinstance(e, str) for e in entries):
        # service names only (`"services": ["messaging", "auth"]`): each is as healthy as the
        # document says it is overall, and listed means up when it says nothing
        overall = status_word(body) if isinstance(body, Mapping) else None
        up = overall is None or is_ok(body, accepted)
        pairs = [(name, up if up else {"status": overall}) for name in entries]
    elif isinstance(entries, list):
        pairs = [(next((e[k] for k in _NAME_KEYS if k in e), None), e)
                 for e in entries if isinstance(e, Mapping)]
    else:
        return None
    states = {}
    for name, entry in pairs:
        if name is None:
            continue
        url = entry.get("url") if isinstance(entry, Mapping) else \
            entry if isinstance(entry, str) and "://" in entry else None
        ok = True if isinstance(entry, str) and "://" in entry else is_ok(entry, accepted)
        states[str(name)] = ServiceState(str(name), ok, "" if ok else
                                         error_text(entry) or "no error text given", url)
    return states


def reported_services(body: Any) -> tuple[dict[str, str], list[str]] | None:
    """What /api/health reports of its services: (name -> URL, names); None if nothing."""
    services = body.get("services") if isinstance(body, Mapping) else None
    if isinstance(services, list) and all(isinstance(s, str) for s in services):
        return {}, list(services)
    states = aggregate(body)
    if states is None:
        return None
    return ({name: state.url for name, state in states.items() if state.url}, list(states))


def rate_limit_error(text: str) -> bool:
    """An error text that says a service was rate-limited (a 429 somewhere behind)."""
    lowered = text.lower()
    return "429" in lowered or "too many requests" in lowered or "rate limit" in lowered


def same_url(expected: str, reported: str) -> bool:
    """Equal service URLs: scheme, host (any loopback name is loopback), port, path."""
    return _url_key(expected) == _url_key(reported)


def _url_key(url: str) -> tuple[str, str, int | None, str]:
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    return (parts.scheme.lower(), "loopback" if host in LOOPBACK_HOSTS else host, url_port(url),
            parts.path.rstrip("/"))


def login_token(answer: HttpAnswer, login: Login) -> str | None:
    """The token a login answered: its cookie (auth.login.token_cookie), else the first of the
    contract's and the usual JSON paths (`token`, `accessToken`, `data.token`, ...)."""
    if login.token_cookie:
        match = re.search(rf"(?:^|[\s,]){re.escape(login.token_cookie)}=([^;,\s]+)",
                          answer.headers.get("set-cookie", ""))
        if match:
            return match.group(1)
    if answer.status is not None and 200 <= answer.status < 300:
        return first_scalar(answer.json(), with_defaults([login.token_field], TOKEN_PATHS))
    return None


def created_id(answer: HttpAnswer, id_fields: Sequence[str]) -> str | None:
    """The id of what a create answered (`id`, `_id`, `data.id`, ... and the contract's)."""
    return first_scalar(answer.json(), with_defaults(id_fields, ID_PATHS))


REFUSAL_WORDS = frozenset({"error", "fail", "failed", "failure", "forbidden", "denied",
                           "rejected", "refused", "unauthorized", "unauthorised"})


def ack_ok(ack: Any) -> bool:
    """An ack or confirmation that does not say it failed: `{"ok": false}`, `{"error"}`,
    `{"success": false}`, `{"joined": false}`, `{"status": "error"}` (or another refusal word,
    or an HTTP-like status of 400 and more), or a bare refusal word."""
    if isinstance(ack, dict):
        status = ack.get("status")
        if isinstance(status, str) and status.strip().lower() in REFUSAL_WORDS or \
                isinstance(status, int) and not isinstance(status, bool) and status >= 400:
            return False
        return ack.get("ok", True) is not False and not ack.get("error") and \
            ack.get("success", True) is not False and ack.get("joined", True) is not False
    if isinstance(ack, str):
        return ack.strip().lower() not in REFUSAL_WORDS
    return ack is not False


def version(body: Any) -> str | None:
    """The version a health document reports (`version`), as text."""
    found = body.get("version") if isinstance(body, dict) else None
    return str(found) if isinstance(found, (str, int, float)) else None


ID_CLAIMS = ("sub", "id", "userId", "_id")
LOGIN_USER_PATHS = ("user.id", "user._id", "data.user.id", "data.user._id", "userId")


def token_claims(token: str) -> dict[str, Any]:
    """A JWT's claims, read without verifying it (the harness only needs the user's id)."""
    parts = token.split(".")
    if len(parts) != 3:
        return {}
    try:
        payload = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
        claims = json.loads(payload)
    except ValueError:
        return {}
    return claims if isinstance(claims, dict) else {}


def user_id(token: str, login: HttpAnswer | None, where: str | None) -> str | None:
    """A user's id: where the contract says (claim:<name>, login:<dotted path>, or "GET
    <path>#<dotted path>", whose answer is `login` then), else the token's sub/id/userId/_id
    claim, else the login answer's user.id. A token given without a login (no answer to
    read where the contract says) falls back to the token's claims."""
    claims = token_claims(token)
    if where and where.startswith("claim:"):
        found = claims.get(where.split(":", 1)[1])
        return str(found) if isinstance(found, (str, int)) else None
    body = login.json() if login is not None else None
    if where and where.startswith("login:") and login is not None:
        return first_scalar(body, [where.split(":", 1)[1]])
    if where and where.startswith("GET ") and login is not None:
        return first_scalar(body, [where.split("#", 1)[1]])
    found = next((claims[name] for name in ID_CLAIMS if isinstance(claims.get(name), (str, int))),
                 None)
    return str(found) if found is not None else first_scalar(body, LOGIN_USER_PATHS)


DEPENDENCY_PORTS = {27017: "mongodb", 6379: "redis", 5432: "postgres", 3306: "mysql",
                    5672: "rabbitmq", 9092: "kafka"}
DEPENDENCY_ERRORS = (
    ("mongodb", re.compile(r"Mongo(?:ServerSelection|Network|NetworkTimeout|Topology\w*)Error|"
                           r"MongooseServerSelectionError|buffering timed out after \d+ ?ms")),
    ("redis", re.compile(r"SocketClosedUnexpectedlyError|ClientClosedError|"
                         r"ReconnectStrategyError|Redis connection (?:to \S+ )?failed")),
    ("postgres", re.compile(r"SequelizeConnection\w*Error|the database system is starting up|"
                            r"password authentication failed for user")),
    ("mysql", re.compile(r"ER_ACCESS_DENIED_ERROR|PROTOCOL_CONNECTION_LOST")),
    ("kafka", re.compile(r"KafkaJS\w*ConnectionError")),
)
_REFUSED = re.compile(r"(?:connect )?E(?:CONNREFUSED|HOSTUNREACH|TIMEDOUT)\s+"
                      r"\[?([\w.:-]+?)\]?:(\d{2,5})\b")
DEPENDENCY_KEYS = {"database": "unknown", "db": "unknown", "mongo": "mongodb",
                   "mongodb": "mongodb", "redis": "redis", "cache": "redis",
                   "postgres": "postgres", "postgresql": "postgres", "mysql": "mysql",
                   "rabbitmq": "rabbitmq", "broker": "unknown", "kafka": "kafka"}
DOWN_WORDS = frozenset({"down", "disconnected", "error", "unhealthy", "fail", "failed",
                        "unavailable", "false"})


@dataclass(frozen=True)
class Dependency:
    """A database, cache or broker that a body or a health document says is down."""

    name: str
    said: str


def dependency_in(text: str) -> Dependency | None:
    """A dependency an error text names: a driver's error, or a refused connection to a
    database's, cache's or broker's port (`connect ECONNREFUSED 127.0.0.1:27017`)."""
    text = text.replace("\\/", "/")
    for name, pattern in DEPENDENCY_ERRORS:
        found = pattern.search(text)
        if found:
            return Dependency(name, found.group(0))
    for found in _REFUSED.finditer(text):
        name = DEPENDENCY_PORTS.get(int(found.group(2)))
        if name:
            return Dependency(name, found.group(0))
    return None


def dependency_in_health(body: Any, depth: int = 0) -> Dependency | None:
    """A dependency a health document reports down: `database: {connected: false}`,
    `redis: "disconnected"`, `mongo: {status: "down"}` (up to three levels down, as in an
    aggregate's `services.messaging.database`)."""
    if not isinstance(body, Mapping) or depth > 3:
        return None
    for scope in (body,):
        for key, value in scope.items():
            name = DEPENDENCY_KEYS.get(str(key).lower())
            if name is None:
                continue
            said = _down(value)
            if said:
                hint = dependency_in(json.dumps(value)) if isinstance(value, Mapping) else None
                kind = hint.name if hint else name
                if kind == "unknown":
                    kind = _storage_hint(body) or kind
                return Dependency(kind, f"{key}{said}")
    for value in body.values():
        nested = dependency_in_health(value, depth + 1)
        if nested is not None:
            return nested
    return None


def _down(value: Any) -> str:
    """What says the dependency is down (`.connected: false`, `: 'down'`), else ""."""
    if isinstance(value, bool):
        return "" if value else ": false"
    if isinstance(value, str):
        return f": {value!r}" if value.lower() in DOWN_WORDS else ""
    if isinstance(value, Mapping):
        for flag in ("connected", "ok", "healthy", "up", "ready"):
            if value.get(flag) is False:
                return f".{flag}: false"
        status = value.get("status") or value.get("state")
        if isinstance(status, str) and status.lower() in DOWN_WORDS:
            return f".status: {status!r}"
    return ""


def _storage_hint(body: Mapping[str, Any]) -> str | None:
    """Which database a document's `storage`/`type`/`driver` names (mongodb, postgres...)."""
    text = json.dumps(body).lower()
    return next((name for name in ("mongodb", "postgres", "mysql", "redis")
                 if name in text or (name == "mongodb" and "mongo" in text)), None)

"""`python -m harness init URL`: a starting contract for a live target, in at most 30 requests.

What it looks for is `init_discover`'s (the health route and its status word, the aggregate
route, the Socket.IO path and transports, which of the usual routes answer 401 without a token,
a login route); this module writes it as YAML. Every guess is written with the evidence behind
it (`# found: 401 without a token`); what could not be found stays a commented example. Nothing
is created on the target and no credentials are sent.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from harness._bundled import DEFAULT_CONTRACT, SCHEMA_FILE
from harness.commands.init_discover import (
    AGGREGATE_PATHS,
    NO_SUCH_ROUTE,
    Findings,
    discover,
    login_paths,
)
from harness.commands.init_text import clip, join_clipped, wrap_comment
from harness.config.resolve import ConfigError, validate_url
from harness.contract import load_contract


def _schema_ref(output: str | None) -> str:
    """The schema file, relative to where the contract is written (editors resolve it)."""
    base = Path(output).resolve().parent if output else Path.cwd()
    try:
        return Path(os.path.relpath(SCHEMA_FILE.resolve(), base)).as_posix()
    except ValueError:  # another drive: no relative path exists
        return SCHEMA_FILE.resolve().as_uri()


def _flow(items: list[str]) -> str:
    return "[" + ", ".join(json.dumps(item) for item in items) + "]"


def _health_lines(found: Findings) -> list[str]:
    health = found.health
    if health is None:
        return [f"health: null                         # not found: "
                f"{join_clipped(found.tried_health, 80)}",
                "# health:                            # when the gateway has one:",
                "#   route: /api/health",
                "#   status_values: [ok, healthy]",
                "#   aggregate: /api/health/aggregate",
                "#   required_services: [messaging]"]
    lines = ["health:", f"  route: {health.path}                 # found: 200 JSON",
             f"  status_values: [{json.dumps(health.word)}]"
             f"          # found: status {health.word!r}"]
    aggregate_ = found.aggregate
    if aggregate_ is None:
        lines += [f"  aggregate: null                    # not found: "
                  f"{', '.join(AGGREGATE_PATHS)}",
                  "  required_services: []"]
    else:
        lines += [f"  aggregate: {aggregate_.path}       # found: {aggregate_.status}, "
                  f"services as {aggregate_.shape}",
                  f"  required_services: {_flow(aggregate_.ok)}"
                  "       # found: the services it reports ok"]
        for name, error in aggregate_.down.items():
            lines.append(f"  # {name} is listed but not ok ({clip(error, 60)!r}): add it "
                         "to required_services once it should be up")
    if found.aliases:
        lines.append("  aliases:                           # found: 200 JSON, status ok")
        lines += [f"    - {{name: {name}, path: {path}}}" for name, path in found.aliases]
    else:
        lines.append("  aliases: []                        # e.g. {name: messaging, path: "
                     "/api/messaging/health}")
    if isinstance(health.services, dict) and health.services:
        lines.append("  expected_services:                 # found: the service map it "
                     "reports now; a change is config drift")
        lines += [f"    {name}: {url}" for name, url in sorted(health.services.items())]
    elif health.services:
        lines.append(f"  expected_services: {_flow(list(health.services))}"
                     "   # found: the service names it reports")
    else:
        lines.append("  # expected_services: [messaging]  # what it reports: names or a "
                     "name -> URL map")
    return lines


def _auth_lines(found: Findings, accepted: list[int]) -> list[str]:
    lines = ["auth:", "  scheme: Bearer                     # or cookie:<name>",
             f"  accepted_statuses: {accepted}          # "
             + ("found: what the routes answered without a token"
                if any(s in ("401", "403") for s in found.routes.values()) else "guessed")]
    if found.login:
        path, status = found.login
        lines += ["  login:", f"    path: {path}          # found: {status} for an empty body",
                  *_login_field_lines(found),
                  "    token_field: token               # or a dotted path: data.token",
                  "    # token_cookie: token            # when the login sets a cookie"]
    else:
        tried = login_paths(found.prefix)
        lines += [f"  login: null                        # not found: "
                  f"{', '.join(tried)}; give a token with SMOKE_TOKEN",
                  f"  # login: {{path: {tried[0]}, token_field: token}}"]
    return lines


def _login_field_lines(found: Findings) -> list[str]:
    """The body's fields as the login's 400 named them, else the default contract's."""
    fields = found.login_fields
    status = found.login[1] if found.login else 400
    if fields and fields.structured:
        said = f"the {status}'s validation errors name it"
    else:
        said = f"the {status} says {clip(fields.said, 60)!r}" if fields else ""
    if fields and fields.username:
        user = f"    username_field: {fields.username}    # found: {said}"
    else:
        user = "    username_field: username         # guessed: check the route's fields"
    if fields and fields.password:
        password = f"    password_field: {fields.password}    # found: it names {fields.password!r}"
    else:
        password = "    password_field: password         # guessed"
    return [user, password]


def _route_lines(found: Findings) -> tuple[list[str], list[str]]:
    lines = ["protected_routes:"]
    if found.prefix != "/api":
        lines.append("  # found: nothing under /api; these answered " +
                     (f"under {found.prefix}" if found.prefix else
                      "at the root, unlike the catch-all"))
    protected = found.protected
    usual = {route.path for route in load_contract(DEFAULT_CONTRACT).protected_routes}
    if found.blanket:
        lines.append(f"  # found: every /api path answers {found.blanket} without a token, an "
                     "unknown one too (auth before routing): a 401 proves no route here")
        protected = [path for path in protected if path in usual]
    for path, status in found.routes.items():
        if path in protected:
            seen = "like every /api path: kept from the default contract" if found.blanket \
                else "without a token"
            lines.append(f"  - {{method: GET, path: {path}}}    # found: {status} {seen}")
        elif found.blanket and status == found.blanket:
            lines.append(f"  # - {{method: GET, path: {path}}}  # unverified: {status} like "
                         "every /api path")
        elif status == "404":
            lines.append(f"  # - {{method: GET, path: {path}}}  # not found: 404")
        else:
            lines.append(f"  # - {{method: GET, path: {path}}}  # answered {status} without a "
                         "token: not protected?")
    for route in load_contract(DEFAULT_CONTRACT).write_routes:
        path = found.prefix + route.path.removeprefix("/api")
        if path in protected:
            lines.append(f"  - {{method: {route.method}, path: {path}, writes: true, "
                         f"body: {json.dumps(route.body or {})}}}")
            lines.append("    # guessed: the default contract's body; check it")
    if not protected:
        lines += _no_protected_route(found)
    lines.append(f"  # - {{method: GET, path: {found.prefix}/messages, "
                 "query: {conversationId: \"{conversation_id}\"}}")
    return lines, protected


def _no_protected_route(found: Findings) -> list[str]:
    """Nothing answered 401: a route that was not seen answering 404 stands in, to edit; a
    route seen answering 404 is never written active."""
    path = f"{found.prefix or '/api'}/conversations"
    seen = found.routes.get(path)
    if seen == "404":
        return [f"  # - {{method: GET, path: {path}}}  # nothing answered 401, and this "
                "answered 404: give a protected route of yours"]
    return [f"  - {{method: GET, path: {path}}}  # nothing answered 401: edit this"]


def not_proxied(found: Findings) -> str | None:
    """What to say when the gateway does not answer the Socket.IO handshake."""
    if found.socket:
        return None
    seen = join_clipped(found.socket_seen, 90)
    if found.socket_service:
        url, what = found.socket_service
        return f"the gateway does not proxy Socket.IO ({seen}); the messaging service " \
            f"answers it at {url}: {what}"
    tried = f"; tried the service: {join_clipped(found.service_seen, 70)}" \
        if found.service_seen else "; no service URL known (init --service URL)"
    return f"the gateway does not proxy Socket.IO ({seen}){tried}"


def _socket_lines(found: Findings) -> list[str]:
    said = not_proxied(found)
    if found.socket:
        path, what = found.socket
        lines = ["socketio:", f"  path: {path}                   # found: {what}"]
    elif found.socket_service:
        url, what = found.socket_service
        lines = ["socketio:", *wrap_comment(f"  # found: {said}"), f"  url: {url}",
                 "  path: /socket.io/"]
    else:
        lines = ["socketio:", *wrap_comment(f"  # not found: {said}"), "  path: /socket.io/",
                 "  # url: https://chat.example.com  # the messaging service's own URL"]
    if found.websocket_only:
        lines.append("  transports: [websocket]            # found: the polling handshake is "
                     "refused")
        if found.websocket_seen:
            lines += wrap_comment(f"  # found: {found.websocket_seen}")
    return lines + [
        "  auth_field: token                  # guessed: connect with auth {token: JWT}",
        "  join_event: \"conversation:join\"    # guessed; or join_conversation",
        "  join_confirm: ack                  # guessed; or event:conversation_joined, or none",
        "  # join_payload: \"{conversation_id}\"  # when the join takes a bare id",
        "  message_event: \"message:new\"       # guessed; or new_message",
    ]


def _root_lines(found: Findings) -> list[str]:
    if found.prefix and found.blanket:
        return [f"unknown_route_statuses: [{found.blanket}, 404]   # found: an unknown /api "
                f"path answers {found.blanket} without a token (auth before routing)"]
    if found.prefix == "/api":
        return []
    if found.prefix:
        return [f"unknown_route: {found.prefix}{NO_SUCH_ROUTE}   # found: the routes are under "
                f"{found.prefix}"]
    status = (found.catch_all or "").split(" ", 1)[0]
    return [f"unknown_route: /smoke-harness-no-such-route   # found: the catch-all answers "
            f"{status}", f"unknown_route_statuses: [{status if status.isdigit() else 404}]"]


def _flow_lines(found: Findings, protected: list[str]) -> list[str]:
    """The happy path's routes when they are not the default contract's `/api` ones."""
    if found.prefix == "/api":
        return []
    lines = []
    for key, name in (("create_conversation", "conversations"), ("post_message", "messages")):
        path = f"{found.prefix}/{name}"
        lines.append(f"  {key}: {path}" if path in protected else
                     f"  {key}: null                    # not found: {path} (give yours)")
    return lines


def render(url: str, found: Findings, output: str | None = None) -> str:
    """The contract, every guess commented with what it rests on."""
    accepted = sorted({int(s) for s in found.routes.values() if s in ("401", "403")}) or [401]
    routes, protected = _route_lines(found)
    lines = [f"# yaml-language-server: $schema={_schema_ref(output)}",
             *wrap_comment(f"# Written by `python -m harness init {url}` from {found.sent} "
                           "requests (no credentials sent, nothing created)."),
             "# `found:` is what the target answered; `guessed:` is the default contract's "
             "value: check those.",
             "name: my-platform", *_root_lines(found), "", *_health_lines(found), "",
             *_auth_lines(found, accepted), "", *routes, "", *_socket_lines(found), "",
             "flow:", *_flow_lines(found, protected),
             "  id_fields: [id, _id, data.id, data.conversation.id]   # where a created id "
             "may be",
             "  # conversation_id: \"...\"           # an existing conversation (read-only "
             "runs; broken create)",
             "  # message_via: socket:send_message  # when messages are sent over Socket.IO",
             "",
             "# known_issues:                       # failures you know of: reported, not red",
             "#   - {check: \"GET /api/messages\", reason: \"needs ?conversationId\", "
             "link: \"https://...\"}", ""]
    return "\n".join(lines)


def init_contract(url: str, output: str | None, timeout_s: float,
                  service: str | None = None) -> int:
    try:
        url = validate_url(url)
    except ConfigError as exc:
        print(f"smoke-harness: {exc}", file=sys.stderr)
        return 2
    try:
        service = validate_url(service) if service else None
    except ConfigError as exc:
        print(f"smoke-harness: --service: {exc}", file=sys.stderr)
        return 2
    found = asyncio.run(discover(url, timeout_s, service))
    if found.health is None and not any(s.isdigit() for s in found.routes.values()):
        print(f"smoke-harness: {url} answered none of the usual routes; is it the gateway?",
              file=sys.stderr)
        return 2
    text = render(url, found, output)
    said = not_proxied(found)
    if said:
        print(f"smoke-harness: {said}", file=sys.stderr)
    if output:
        Path(output).write_text(text, encoding="utf-8")
        print(f"smoke-harness: wrote {output} ({found.sent} requests); check it, then run "
              f"`python -m harness {url} --contract {output}`", file=sys.stderr)
    else:
        print(text)
    return 0

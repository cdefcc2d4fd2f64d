"""`python -m harness init URL`: a starting contract for a live target, in at most 15 requests.

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

from fixtures import DEFAULT_CONTRACT
from harness.commands.init_discover import AGGREGATE_PATHS, LOGIN_PATHS, Findings, discover
from harness.config.resolve import ConfigError, validate_url
from harness.contract import load_contract

SCHEMA_FILE = Path(DEFAULT_CONTRACT).with_name("contract.schema.json")


def _schema_ref(output: str | None) -> str:
    """The schema file, relative to where the contract is written (editors resolve it)."""
    base = Path(output).resolve().parent if output else Path.cwd()
    try:
        relative = os.path.relpath(SCHEMA_FILE.resolve(), base)
    except ValueError:  # another drive
        relative = ""
    if not relative or relative.startswith(os.path.join("..", "..")):
        return SCHEMA_FILE.resolve().as_uri()
    return relative


def _flow(items: list[str]) -> str:
    return "[" + ", ".join(json.dumps(item) for item in items) + "]"


def _health_lines(found: Findings) -> list[str]:
    health = found.health
    if health is None:
        return [f"health: null                         # not found: "
                f"{'; '.join(found.tried_health)}",
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
            lines.append(f"  # {name} is listed but not ok ({error[:60]!r}): add it to "
                         "required_services once it should be up")
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
                  "    username_field: username         # guessed: check the route's fields",
                  "    password_field: password         # guessed",
                  "    token_field: token               # or a dotted path: data.token",
                  "    # token_cookie: token            # when the login sets a cookie"]
    else:
        lines += [f"  login: null                        # not found: "
                  f"{', '.join(LOGIN_PATHS)}; give a token with SMOKE_TOKEN",
                  "  # login: {path: /api/auth/login, token_field: token}"]
    return lines


def _route_lines(found: Findings) -> tuple[list[str], list[str]]:
    lines = ["protected_routes:"]
    protected = [p for p, status in found.routes.items() if status in ("401", "403")]
    for path, status in found.routes.items():
        if path in protected:
            lines.append(f"  - {{method: GET, path: {path}}}    # found: {status} without a "
                         "token")
        elif status == "404":
            lines.append(f"  # - {{method: GET, path: {path}}}  # not found: 404")
        else:
            lines.append(f"  # - {{method: GET, path: {path}}}  # answered {status} without a "
                         "token: not protected?")
    for route in load_contract(DEFAULT_CONTRACT).write_routes:
        if route.path in protected:
            lines.append(f"  - {{method: {route.method}, path: {route.path}, writes: true, "
                         f"body: {json.dumps(route.body or {})}}}")
            lines.append("    # guessed: the default contract's body; check it")
    if not protected:
        lines.append("  - {method: GET, path: /api/conversations}  # nothing answered 401: "
                     "edit this")
    lines.append("  # - {method: GET, path: /api/messages, query: {conversationId: "
                 "\"{conversation_id}\"}, timeout_s: 10}")
    return lines, protected


def _socket_lines(found: Findings) -> list[str]:
    if found.socket:
        path, what = found.socket
        lines = ["socketio:", f"  path: {path}                   # found: {what}"]
    else:
        lines = ["socketio:", f"  path: /socket.io/                  # not found: "
                 f"{'; '.join(found.socket_seen)[:160]}",
                 "  # url: https://chat.example.com  # when the gateway does not proxy it"]
    if found.websocket_only:
        lines.append("  transports: [websocket]            # found: the polling handshake is "
                     "refused")
    return lines + [
        "  auth_field: token                  # guessed: connect with auth {token: JWT}",
        "  join_event: \"conversation:join\"    # guessed; or join_conversation",
        "  join_confirm: ack                  # guessed; or event:conversation_joined, or none",
        "  # join_payload: \"{conversation_id}\"  # when the join takes a bare id",
        "  message_event: \"message:new\"       # guessed; or new_message",
    ]


def render(url: str, found: Findings, output: str | None = None) -> str:
    """The contract, every guess commented with what it rests on."""
    accepted = sorted({int(s) for s in found.routes.values() if s in ("401", "403")}) or [401]
    routes, _ = _route_lines(found)
    lines = [f"# yaml-language-server: $schema={_schema_ref(output)}",
             f"# Written by `python -m harness init {url}` from {found.sent} requests "
             "(no credentials sent, nothing created).",
             "# `found:` is what the target answered; `guessed:` is the default contract's "
             "value: check those.",
             "name: my-platform", "", *_health_lines(found), "", *_auth_lines(found, accepted),
             "", *routes, "", *_socket_lines(found), "",
             "flow:",
             "  id_fields: [id, _id, data.id, data.conversation.id]   # where a created id "
             "may be",
             "  # conversation_id: \"...\"           # an existing conversation (read-only "
             "runs, or when create is broken)",
             "  # message_via: socket:send_message  # when messages are sent over Socket.IO",
             "",
             "# known_issues:                       # failures you know of: reported, not red",
             "#   - {check: \"GET /api/messages\", reason: \"needs ?conversationId\", "
             "link: \"https://...\"}", ""]
    return "\n".join(lines)


def init_contract(url: str, output: str | None, timeout_s: float) -> int:
    try:
        url = validate_url(url)
    except ConfigError as exc:
        print(f"smoke-harness: {exc}", file=sys.stderr)
        return 2
    found = asyncio.run(discover(url, timeout_s))
    if found.health is None and not any(s.isdigit() for s in found.routes.values()):
        print(f"smoke-harness: {url} answered none of the usual routes; is it the gateway?",
              file=sys.stderr)
        return 2
    text = render(url, found, output)
    if output:
        Path(output).write_text(text, encoding="utf-8")
        print(f"smoke-harness: wrote {output} ({found.sent} requests); check it, then run "
              f"`python -m harness {url} --contract {output}`", file=sys.stderr)
    else:
        print(text)
    return 0

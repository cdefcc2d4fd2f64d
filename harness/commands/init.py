"""`python -m harness init URL`: a starting contract for a live target, in at most 15 requests.

Every guess is written with the evidence behind it (`# found: 401 without a token`); what it
could not find stays a commented example. Nothing is created on the target.
"""

from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from fixtures import DEFAULT_CONTRACT
from harness.config.resolve import ConfigError, validate_url
from harness.contract import load_contract
from harness.judge.normalise import aggregate, status_word
from harness.probes.engineio import HandshakeError, handshake_path, parse_open_packet
from harness.probes.http import HttpProbeClient
from harness.probes.model import HttpAnswer, HttpRequest, json_request

HEALTH_PATHS = ("/api/health", "/health")
AGGREGATE_PATHS = ("/api/health/aggregate", "/api/health/services")
ROUTES = ("/api/conversations", "/api/messages", "/api/notifications", "/api/users")
LOGIN_PATHS = ("/api/auth/login", "/api/login")
SOCKET_PATH = "/socket.io/"
MAX_REQUESTS = 15


@dataclass
class Findings:
    health: tuple[str, str] | None = None
    aggregate: tuple[str, str, list[str]] | None = None
    socket: str = ""
    routes: dict[str, str] = field(default_factory=dict)
    login: tuple[str, int] | None = None
    sent: int = 0


async def _get(client: HttpProbeClient, path: str) -> HttpAnswer:
    return await client.send(HttpRequest(f"init:{path}", "GET", path, "init"))


async def discover(url: str, timeout_s: float) -> Findings:
    client = HttpProbeClient(url, timeout_s=timeout_s, max_requests=MAX_REQUESTS)
    found = Findings()
    try:
        for path in HEALTH_PATHS:
            answer = await _get(client, path)
            body = answer.json()
            if answer.status == 200 and isinstance(body, dict):
                found.health = (path, status_word(body) or "ok")
                break
        for path in AGGREGATE_PATHS:
            answer = await _get(client, path)
            states = aggregate(answer.json())
            if answer.status in (200, 503) and states:
                shape = "list" if isinstance(answer.json().get("services"), list) else "map"
                found.aggregate = (path, shape, sorted(states))
                break
        answer = await _get(client, handshake_path(SOCKET_PATH))
        try:
            parse_open_packet(answer.text)
            found.socket = "Engine.IO v4 open packet at /socket.io/"
        except HandshakeError as exc:
            found.socket = f"no v4 open packet at /socket.io/ ({answer.status}: {exc})"
        answers = await asyncio.gather(*(_get(client, path) for path in ROUTES))
        for path, answer in zip(ROUTES, answers, strict=True):
            found.routes[path] = str(answer.status or answer.error)
        for path in LOGIN_PATHS:
            answer = await client.send(json_request(f"init:{path}", "POST", path, "init", {}))
            if answer.status not in (404, 405, None):
                found.login = (path, answer.status)
                break
    finally:
        found.sent = client.requests_sent
        await client.close()
    return found


def render(url: str, found: Findings) -> str:
    lines = ["# yaml-language-server: $schema=https://smoke-harness.invalid/contract.schema.json",
             "# (python -m harness schema > contract.schema.json; point the line above at it)",
             f"# Written by `python -m harness init {url}` from {found.sent} requests.",
             "name: my-platform", ""]
    if found.health:
        path, word = found.health
        lines += ["health:", f"  route: {path}                  # found: 200 JSON",
                  f"  status_values: [{word}]          # found: status {word!r}"]
        if found.aggregate:
            path, shape, names = found.aggregate
            lines += [f"  aggregate: {path}      # found: services as a {shape}",
                      f"  required_services: {json.dumps(names)}  # found: the services it lists"]
        else:
            lines += ["  aggregate: null                 # not found: "
                      f"{', '.join(AGGREGATE_PATHS)}"]
        lines += ["  aliases: []"]
    else:
        lines += [f"health: null                      # not found: {', '.join(HEALTH_PATHS)}"]
    lines += ["", "auth:", "  scheme: Bearer"]
    if found.login:
        path, status = found.login
        lines += ["  login:", f"    path: {path}          # found: {status} for an empty body",
                  "    token_field: token               # or a dotted path: data.token"]
    else:
        lines += [f"  login: null                       # not found: {', '.join(LOGIN_PATHS)}; "
                  "use SMOKE_TOKEN"]
    lines += ["", "protected_routes:"]
    protected = [p for p, status in found.routes.items() if status in ("401", "403")]
    for path, status in found.routes.items():
        if path in protected:
            lines.append(f"  - {{method: GET, path: {path}}}    # found: {status} without a token")
        else:
            lines.append(f"  # - {{method: GET, path: {path}}}  # answered {status} "
                         "without a token")
    for route in load_contract(DEFAULT_CONTRACT).write_routes:
        if route.path in protected:
            body = json.dumps(route.body or {})
            lines.append(f"  - {{method: {route.method}, path: {route.path}, writes: true, "
                         f"body: {body}}}  # guessed: the default contract's body; check it")
    if not protected:
        lines.append("  - {method: GET, path: /api/conversations}  # nothing answered 401: edit")
    accepted = sorted({int(s) for s in found.routes.values() if s in ("401", "403")}) or [401]
    lines[lines.index("  scheme: Bearer") + 1:lines.index("  scheme: Bearer") + 1] = [
        f"  accepted_statuses: {accepted}"]
    lines += ["", "socketio:", f"  path: {SOCKET_PATH}                # {found.socket}",
              "  join_event: \"conversation:join\"   # or join_conversation",
              "  join_confirm: ack                # or event:conversation_joined",
              "  message_event: \"message:new\"     # or new_message",
              "", "flow:", "  id_fields: [id, _id, data.conversation.id]",
              "  # conversation_id: \"...\"          # an existing conversation (read-only runs)",
              "", "# known_issues:", "#   - {check: \"test_lists[GET /api/messages]\", "
              "reason: \"needs ?conversationId\", link: https://...}", ""]
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
    text = render(url, found)
    if output:
        Path(output).write_text(text, encoding="utf-8")
        print(f"smoke-harness: wrote {output} ({found.sent} requests); check it, then run "
              f"`python -m harness {url} --contract {output}`", file=sys.stderr)
    else:
        print(text)
    return 0

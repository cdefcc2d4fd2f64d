"""Input of the wrong type, in the plan: one body per write route with every field but the tag
of the wrong type (one body per field with --thorough), sent with the run's token; and the
Socket.IO events the run also emits empty and with a wrong type, after which one handshake
shows whether the service is still there.

Wrong types: a string becomes a number, a number or a boolean a string, an array `[null]` (an
element of the wrong type, the shape that crashes handlers that map over it), an object an
array, null an object.
"""

from __future__ import annotations

from typing import Any

from harness.config import RunConfig
from harness.contract import Route
from harness.plan.rest import LOGIN_KEY, smoke_tag
from harness.records.http import HttpRequest, json_request
from harness.records.plan import Check


def wrong_type(value: Any) -> Any:
    if isinstance(value, (bool, int, float)):
        return str(value)
    if isinstance(value, str):
        return 12345
    if isinstance(value, list):
        return [None]
    if isinstance(value, dict):
        return []
    return {}


def _bodies(config: RunConfig, route: Route) -> list[tuple[str, dict[str, Any]]]:
    """(name, body): every field but the tag mistyped, or (--thorough) one field at a time."""
    flow = config.contract.flow
    body = dict(route.body or {})
    tag = smoke_tag(config.contract)
    fields = [name for name in body if name != flow.title_field]
    if not fields:
        return []
    if route.path == flow.create_conversation or flow.title_field in body:
        body[flow.title_field] = tag
    if not config.thorough:
        return [("wrong-types", {**body, **{name: wrong_type(body[name]) for name in fields}})]
    return [(f"wrong-type-{name}", {**body, name: wrong_type(body[name])}) for name in fields]


def wrong_type_checks(config: RunConfig) -> tuple[list[Check], list[HttpRequest]]:
    """Each write route with mistyped bodies and the run's token (not with --read-only)."""
    if config.read_only:
        return [], []
    checks, requests = [], []
    for route in config.contract.write_routes:
        for name, body in _bodies(config, route):
            label = "fields of the wrong type" if name == "wrong-types" else \
                f"{name.removeprefix('wrong-type-')} of the wrong type"
            request = json_request(f"wrong:{route.label}:{name}", route.method, route.path,
                                   "rest", body, label=label,
                                   auth="valid", timeout_s=route.timeout_s)
            requests.append(request)
            checks.append(Check(f"{route.label}-{name}", "wrong-type", (request.key,),
                                needs=("credentials",), after=(LOGIN_KEY,), writes=True,
                                priority=2))
    return checks, requests


def probe_events(config: RunConfig) -> tuple[str, ...]:
    """The events the run also emits empty and with a wrong type: the join, the message send
    (when messages go over the socket) and the contract's `socketio.probe_events`."""
    spec, flow = config.contract.socketio, config.contract.flow
    sent = (flow.message_via.split(":", 1)[1],) if flow.message_via.startswith("socket:") \
        else ()
    return tuple(dict.fromkeys((spec.join_event, *sent, *spec.probe_events)))

"""REST suite cases as data: bad-body probes, authenticated lists, the unknown route, the flow."""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from harness.checks import Case
from harness.contract import Contract, Route
from harness.probe import Probe

MALFORMED_JSON = b'{"title": "smoke-malformed", "participants": [}'
PADDING_FIELD = "smokePadding"


@dataclass(frozen=True)
class BadBody:
    """One kind of bad request body: its name in test ids and what the request carries."""

    name: str
    description: str
    writes: bool

    def request(self, route: Route, max_body_bytes: int) -> tuple[bytes, str]:
        """The (body, content type) this kind sends to `route`."""
        body = dict(route.body or {})
        if self.name == "malformed-json":
            return MALFORMED_JSON, "application/json"
        if self.name == "wrong-content-type":
            return json.dumps(body).encode(), "text/plain"
        body[PADDING_FIELD] = "x" * (2 * max_body_bytes)
        return json.dumps(body).encode(), "application/json"


BAD_BODIES = [
    BadBody("malformed-json", "malformed JSON", writes=False),
    BadBody("wrong-content-type", "a JSON body sent as text/plain", writes=True),
    BadBody("oversized-body", "a body twice the size limit", writes=True),
]


def authorized(probe: Probe, scheme: str, token: str) -> Probe:
    """`probe` with a valid Authorization header added."""
    headers = {**dict(probe.headers), "authorization": f"{scheme} {token}"}
    return Probe(probe.method, probe.path, tuple(sorted(headers.items())), probe.content,
                 probe.label)


@dataclass(frozen=True, repr=False)
class BadInputCase(Case):
    """A write route sent a bad body, with or without a valid token; must get a 4xx."""

    route: Route
    body: BadBody
    needs_token: bool
    request: Probe

    @property
    def id(self) -> str:
        return f"{self.route.label}-{self.body.name}-{'token' if self.needs_token else 'no-token'}"

    @property
    def probe(self) -> Probe | None:
        """Sendable at collection time only when no runtime token is needed."""
        return None if self.needs_token else self.request

    @property
    def writes(self) -> bool:
        """With a valid token, a lenient route might store the body."""
        return self.needs_token and self.body.writes


def bad_input_cases(contract: Contract) -> list[BadInputCase]:
    """Every write route x every bad body x (no token, a valid token)."""
    cases = []
    for route in contract.write_routes:
        for body in BAD_BODIES:
            content, content_type = body.request(route, contract.max_body_bytes)
            for needs_token in (False, True):
                label = f"{body.description}, {'a valid' if needs_token else 'no'} token"
                request = Probe.build(route.method, route.path, content=content, label=label,
                                      headers={"content-type": content_type})
                cases.append(BadInputCase(route, body, needs_token, request))
    return cases


@dataclass(frozen=True, repr=False)
class ListCase(Case):
    """A protected GET route called with a valid token: 200 JSON."""

    route: Route
    request: Probe
    needs_token: bool = True

    @property
    def id(self) -> str:
        return self.route.label


def list_cases(contract: Contract) -> list[ListCase]:
    return [ListCase(route, Probe.build(route.method, route.path, label="a valid token"))
            for route in contract.protected_routes if route.method == "GET"]


def unknown_route_probe(contract: Contract) -> Probe:
    return Probe.build("GET", contract.unknown_route, label="a route that does not exist")


def smoke_tag(contract: Contract) -> str:
    """A fresh tag for data the harness creates, recognisable by the contract's prefix."""
    return f"{contract.flow.tag_prefix}{secrets.token_hex(4)}"


def _route_body(contract: Contract, path: str) -> dict[str, Any]:
    for route in contract.write_routes:
        if route.path == path:
            return dict(route.body or {})
    return {}


def create_conversation_probe(contract: Contract, token: str, tag: str) -> Probe:
    """POST the contract's conversation body, titled with `tag`."""
    flow = contract.flow
    body = {**_route_body(contract, flow.create_conversation), flow.title_field: tag}
    probe = Probe.build("POST", flow.create_conversation, json_body=body,
                        label=f"create conversation {tag}")
    return authorized(probe, contract.auth.scheme, token)


def post_message_probe(contract: Contract, token: str, conversation_id: str, tag: str) -> Probe:
    """POST a message tagged with `tag` to the conversation `conversation_id`."""
    flow = contract.flow
    body = {**_route_body(contract, flow.post_message),
            flow.conversation_field: conversation_id, flow.text_field: f"{tag} message"}
    probe = Probe.build("POST", flow.post_message, json_body=body, label=f"post message {tag}")
    return authorized(probe, contract.auth.scheme, token)


def created_id(body: Any, id_fields: Sequence[str]) -> str | None:
    """The id of a created object: top level, or one level down (`{"conversation": {...}}`)."""
    if not isinstance(body, Mapping):
        return None
    for candidate in (body, *(v for v in body.values() if isinstance(v, Mapping))):
        for field in id_fields:
            value = candidate.get(field)
            if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value):
                return str(value)
    return None

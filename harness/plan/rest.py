"""The REST part of a plan: login, the auth matrix, bad bodies, lists, create, post, 404."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from harness.config import RunConfig
from harness.contract import Contract, Route
from harness.plan.tokens import TOKEN_VARIANTS, TokenVariant
from harness.records.http import HttpRequest, json_request
from harness.records.keys import AUTH_VARIANT_FAILED, CREATE, LOGIN, POST, UNKNOWN
from harness.records.plan import Check, FollowUp, check_key

MALFORMED_JSON = b'{"title": "smoke-malformed", "participants": [}'
PADDING_FIELD = "smokePadding"
NO_ID = "smoke-none"


@dataclass(frozen=True)
class BadBody:
    name: str
    description: str
    fresh_connection: bool = False


BAD_BODIES = (BadBody("malformed-json", "malformed JSON"),
              BadBody("wrong-content-type", "a JSON body sent as text/plain"),
              BadBody("oversized", "a body twice the size limit", fresh_connection=True))


def without_peer(body: dict[str, Any], has_peer: bool) -> dict[str, Any]:
    """Without a peer, list elements that are only `{peer_id}` are dropped."""
    if has_peer:
        return body
    return {key: [item for item in value if item != "{peer_id}"]
            if isinstance(value, list) else value for key, value in body.items()}


def smoke_tag(contract: Contract) -> str:
    return f"{contract.flow.tag_prefix}{secrets.token_hex(4)}"


def with_query(route: Route, fill: str | None = None) -> str:
    """The route's path with its query; `fill` replaces every placeholder (unauthenticated)."""
    path = route.path
    if route.query:
        path += "?" + "&".join(f"{quote(name, safe='')}={quote(value, safe='{}')}"
                               for name, value in route.query.items())
    if fill is not None:
        for name in route.placeholders:
            path = path.replace("{" + name + "}", fill)
    return path


def login_request(config: RunConfig) -> HttpRequest | None:
    login, credentials = config.contract.auth.login, config.credentials
    if login is None or credentials.token or not credentials.can_login:
        return None
    return json_request(LOGIN, login.method, (login.url or "") + login.path, "rest", {
        login.username_field: credentials.username, login.password_field: credentials.password,
    }, label="the configured credentials")


def _variant_request(config: RunConfig, route: Route, variant: TokenVariant) -> HttpRequest:
    body = route.body if route.method != "GET" else None
    headers = variant.headers(config.contract.auth.scheme, config.jwt_secret)
    return json_request(f"auth:{route.label}:{variant.name}", route.method,
                        with_query(route, NO_ID), "rest", body, label=variant.description,
                        headers=headers, auth=variant.name if variant.forgery else None,
                        timeout_s=route.timeout_s)


def auth_checks(config: RunConfig) -> tuple[list[Check], list[HttpRequest], list[FollowUp]]:
    """No token on every protected route; every variant on one route (all with --thorough).

    Returns the checks, their requests, and the follow-ups: a variant that fails on the
    matrix route is then sent on every route.
    """
    routes = config.contract.protected_routes
    matrix_route = next((r for r in routes if r.method == "GET"), routes[0])
    checks, requests, conditional = [], [], []
    for route in routes:
        for variant in TOKEN_VARIANTS:
            full = config.thorough or route is matrix_route or variant.name == "no-token"
            if not full:
                if not variant.needs_secret or config.jwt_secret:
                    request = _variant_request(config, route, variant)
                    conditional.append(FollowUp(
                        f"{AUTH_VARIANT_FAILED}{variant.name}", request,
                        Check(f"{route.label}-{variant.name}", "auth", (request.key,),
                              priority=2, params={"route": route.label,
                                                  "variant": variant.name})))
                continue
            needs = ("jwt-secret",) if variant.needs_secret and not config.jwt_secret else ()
            key = f"auth:{route.label}:{variant.name}"
            if not needs:
                requests.append(_variant_request(config, route, variant))
            checks.append(Check(f"{route.label}-{variant.name}", "auth", (key,),
                                needs=needs, priority=0 if variant.name == "no-token" else 2,
                                params={"route": route.label, "variant": variant.name}))
    return checks, requests, conditional


def _bad_body_request(config: RunConfig, route: Route, body: BadBody,
                      with_token: bool) -> HttpRequest:
    contract = config.contract
    payload = dict(route.body or {})
    if contract.flow.title_field in payload or route.path == contract.flow.create_conversation:
        payload[contract.flow.title_field] = smoke_tag(contract)
    content_type = "application/json"
    if body.name == "malformed-json":
        content = MALFORMED_JSON
    elif body.name == "wrong-content-type":
        content, content_type = json.dumps(payload).encode(), "text/plain"
    else:
        payload[PADDING_FIELD] = "x" * (2 * contract.max_body_bytes)
        content = json.dumps(payload).encode()
    token = "token" if with_token else "no-token"
    return HttpRequest(f"bad:{route.label}:{body.name}:{token}", route.method, route.path,
                       "rest", (("content-type", content_type),), content,
                       f"{body.description}, {'a valid' if with_token else 'no'} token",
                       auth="valid" if with_token else None,
                       fresh_connection=body.fresh_connection, timeout_s=route.timeout_s)


def bad_body_checks(config: RunConfig) -> tuple[list[Check], list[HttpRequest]]:
    """Lean: malformed JSON with the run's token (it creates nothing, and only with a token
    does it reach the service's parser, not the gateway's auth) and an oversized body without
    one, on one write route. --thorough: every write route and body. --strict adds the other
    bodies with a valid token (tagged data)."""
    routes = config.contract.write_routes
    if not routes:
        return [], []
    checks, requests = [], []
    has_token = config.credentials.kind != "none"
    for route in routes if config.thorough else routes[:1]:
        for body in BAD_BODIES:
            variants = [False] if body.name != "wrong-content-type" or config.thorough else []
            if body.name == "malformed-json" and has_token:
                variants = [True]
            elif config.strict and not config.read_only:
                variants.append(True)
            for with_token in variants:
                request = _bad_body_request(config, route, body, with_token)
                requests.append(request)
                token = "token" if with_token else "no-token"
                checks.append(Check(f"{route.label}-{body.name}-{token}", "bad-body",
                                    (request.key,), needs=("credentials",) if with_token else (),
                                    after=(LOGIN_KEY,) if with_token else (),
                                    writes=with_token and body.name != "malformed-json",
                                    priority=1, params={"with_token": with_token,
                                                        "body": body.name}))
    return checks, requests


LOGIN_KEY = check_key("login", "login")


def _route(config: RunConfig, path: str) -> Route | None:
    return next((r for r in config.contract.write_routes if r.path == path), None)


def authorized_checks(config: RunConfig) -> tuple[list[Check], list[HttpRequest]]:
    """With a valid token: each GET route answers 200 JSON; create answers 201 with an id;
    a message is posted (201).

    The post and the routes with `{conversation_id}` use flow.conversation_id when the
    contract names one (then they do not wait for create, which is still checked), else the
    created conversation. --read-only sends neither create nor post."""
    contract, flow = config.contract, config.contract.flow
    checks: list[Check] = []
    requests: list[HttpRequest] = []
    blockers: tuple[str, ...] = ()
    login = login_request(config)
    if login is not None:
        requests.append(login)
        checks.append(Check("login", "login", (LOGIN,), priority=0))
        blockers = (LOGIN_KEY,)
    needs = ("credentials",)
    create_key = None
    tag = smoke_tag(contract)
    if not config.read_only and flow.create_conversation:
        create_route = _route(config, flow.create_conversation)
        body = {**without_peer(create_route.body if create_route and create_route.body else {},
                               "peer" in config.identities), flow.title_field: tag}
        requests.append(json_request(CREATE, "POST", flow.create_conversation, "rest", body,
                                     label=f"create conversation {tag}", auth="valid",
                                     timeout_s=create_route.timeout_s if create_route else None))
        check = Check(f"POST {flow.create_conversation}", "create", (CREATE,),
                      needs=needs, after=blockers, writes=True, priority=1)
        checks.append(check)
        create_key = check.key
    if not config.read_only and flow.post_message:
        post_route = _route(config, flow.post_message)
        body = {**(post_route.body if post_route and post_route.body else {}),
                flow.conversation_field: "{conversation_id}", flow.text_field: f"{tag} message"}
        requests.append(json_request(POST, "POST", flow.post_message, "rest", body,
                                     label=f"post message {tag}", auth="valid",
                                     timeout_s=post_route.timeout_s if post_route else None))
        waits = (create_key,) if create_key and not flow.conversation_id else ()
        checks.append(Check(f"POST {flow.post_message}", "post", (POST,), needs=needs,
                            after=blockers + waits, writes=True, priority=1))
    for route in contract.protected_routes:
        if route.method != "GET":
            continue
        request = HttpRequest(f"list:{route.label}", "GET", with_query(route), "rest",
                              label="a valid token", auth="valid", timeout_s=route.timeout_s)
        requests.append(request)
        waits = (create_key,) if create_key and "conversation_id" in route.placeholders and \
            not flow.conversation_id else ()
        own = ("conversation",) if "conversation_id" in route.placeholders else ()
        checks.append(Check(route.label, "list", (request.key,), needs=needs + own,
                            after=blockers + waits, priority=1,
                            params={"placeholders": sorted(route.placeholders)}))
    return checks, requests


def unknown_route_check(config: RunConfig) -> tuple[Check, HttpRequest]:
    path = config.contract.unknown_route
    request = json_request(UNKNOWN, "GET", path, "rest", label="a route that does not exist")
    return Check(f"GET {path}", "unknown-route", (request.key,), priority=1), request


def internal_detail_check() -> Check:
    """Every error answer the run already has, read for internal details: no request."""
    return Check("error-bodies", "internal-detail", (), priority=1)

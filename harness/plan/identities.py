"""The run's identities in the plan: the peer's and the outsider's logins, whose id stands in
for another user's, and the object-level checks an outsider's token must fail.

REST (`object-access`): a route with `{user_id}` is sent with the run's token and another
user's id; a route with `{conversation_id}` is sent with the outsider's token; the outsider
posts to the run's conversation; every list route is read by the outsider (its answer must not
carry the run's conversation or text). A route marked `authorization: public` is exempt from
the denial; with `authorization.private_fields` the outsider reads it too (the run's user's
values of those fields must not be in it).
"""

from __future__ import annotations

from harness.config import RunConfig
from harness.contract import Route
from harness.plan.rest import LOGIN_KEY, smoke_tag, with_query
from harness.records.http import HttpRequest, json_request
from harness.records.keys import LOGIN
from harness.records.plan import Check, check_key

ROLES = ("peer", "outsider")
WHO = {"peer": "the peer", "outsider": "the outsider", "valid": "the run's user"}


def login_key(role: str) -> str:
    return LOGIN if role == "valid" else f"{LOGIN}:{role}"


def identity_logins(config: RunConfig) -> list[HttpRequest]:
    """One login per identity given by username and password (tokens need none)."""
    login = config.contract.auth.login
    if login is None:
        return []
    path = (login.url or "") + login.path
    return [json_request(login_key(role), login.method, path, "rest", {
        login.username_field: people.username, login.password_field: people.password,
    }, label=f"{WHO[role]}'s credentials") for role, people in config.identities.items()
        if not people.token and people.can_login]


def other_user(config: RunConfig) -> str | None:
    """Whose id stands in for "another user's": the outsider's, else the peer's."""
    return next((role for role in ("outsider", "peer") if role in config.identities), None)


def _after(config: RunConfig) -> tuple[str, ...]:
    return (LOGIN_KEY,) if config.credentials.kind == "login" and \
        config.contract.auth.login is not None else ()


def object_checks(config: RunConfig, create_key: str | None,
                  ) -> tuple[list[Check], list[HttpRequest]]:
    """The object-level REST checks (see the module's docstring) and their requests."""
    checks: list[Check] = []
    requests: list[HttpRequest] = []
    contract, flow = config.contract, config.contract.flow
    waits = (create_key,) if create_key and not flow.conversation_id else ()
    for route in contract.protected_routes:
        if route.authorization == "public":
            if route.method == "GET" and contract.authorization.private_fields:
                request = _sent_as(route, "outsider", "outsider", {})
                requests.append(request)
                checks.append(Check(f"{route.label}-outsider-public", "object-access",
                                    (request.key,), needs=("credentials", "outsider"),
                                    after=_after(config) + (
                                        waits if "conversation_id" in route.placeholders
                                        else ()),
                                    params={"mode": "public", "route": route.label}))
            continue
        if route.method != "GET" and config.read_only:
            continue
        if "user_id" in route.placeholders:
            request = _sent_as(route, "valid", "other", {"user_id": "{other_id}"})
            requests.append(request)
            checks.append(Check(f"{route.label}-other-user", "object-access", (request.key,),
                                needs=("credentials", "other-user"), after=_after(config),
                                writes=route.method != "GET",
                                params={"mode": "user", "route": route.label}))
        if "conversation_id" in route.placeholders:
            request = _sent_as(route, "outsider", "outsider", {})
            requests.append(request)
            checks.append(Check(f"{route.label}-outsider", "object-access", (request.key,),
                                needs=("credentials", "outsider", "conversation"),
                                after=_after(config) + waits, writes=route.method != "GET",
                                params={"mode": "conversation", "route": route.label}))
        elif route.method == "GET" and "user_id" not in route.placeholders:
            request = HttpRequest(f"outsider:list:{route.label}", "GET", with_query(route),
                                  "rest", label="the outsider's token", auth="outsider",
                                  timeout_s=route.timeout_s)
            requests.append(request)
            checks.append(Check(f"{route.label}-outsider-list", "object-access",
                                (request.key,), needs=("credentials", "outsider"),
                                after=_after(config) + waits,
                                params={"mode": "list", "route": route.label}))
    if flow.post_message and not config.read_only:
        request = json_request("outsider:post", "POST", flow.post_message, "rest", {
            flow.conversation_field: "{conversation_id}",
            flow.text_field: f"{smoke_tag(contract)} outsider"},
            label="the outsider's token, to the run's conversation", auth="outsider")
        requests.append(request)
        checks.append(Check(f"POST {flow.post_message}-outsider", "object-access",
                            (request.key,), needs=("credentials", "outsider"),
                            after=_after(config) + waits, writes=True,
                            params={"mode": "post", "route": f"POST {flow.post_message}"}))
    return checks, requests


def _sent_as(route: Route, auth: str, who: str, swap: dict[str, str]) -> HttpRequest:
    """The route as `auth` sends it, with placeholders swapped (another user's id)."""
    path = with_query(route)
    for name, value in swap.items():
        path = path.replace("{" + name + "}", value)
    body = route.body if route.method != "GET" else None
    label = {"other": "the run's token, another user's id",
             "outsider": "the outsider's token"}[who]
    return json_request(f"{who}:{route.label}", route.method, path, "rest", body, label=label,
                        auth=auth, timeout_s=route.timeout_s)


def conversation_check_key(config: RunConfig) -> str | None:
    flow = config.contract.flow
    return check_key("create", f"POST {flow.create_conversation}") \
        if flow.create_conversation and not config.read_only else None


def whoami_requests(config: RunConfig) -> list[HttpRequest]:
    """With `auth.user_id: "GET <path>#<dotted path>"`: that GET for every identity."""
    where = config.contract.auth.user_id or ""
    if not where.startswith("GET "):
        return []
    path = where[4:].split("#", 1)[0]
    return [HttpRequest(f"whoami:{role}", "GET", path, "rest", label=f"{WHO[role]}'s own id",
                        auth=role) for role in ("valid", *config.identities)]

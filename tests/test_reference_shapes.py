"""What a client sees from the reference stack's REST variants and faults: other health and
body shapes, required query parameters, a database that is down, a lost mount path, Express's
development-mode errors and its silence about other content types."""

from __future__ import annotations

import asyncio
import json
import time

import httpx

from harness import __version__
from tests.test_reference_faults import MALFORMED, bearer, login

DB_ERROR = "MongoServerSelectionError: connect ECONNREFUSED 127.0.0.1:27017"
MONGODB_DOWN = {"status": "unhealthy", "error": "connect ECONNREFUSED 127.0.0.1:27017"}


def test_health_variant_names_services_and_keys_the_aggregate(reference_stack) -> None:
    stack = reference_stack("health-variant")
    with httpx.Client(base_url=stack.url, timeout=5) as client:
        health = client.get("/api/health")
        aggregate = client.get("/api/health/aggregate")
    assert health.status_code == 200
    assert health.json() == {"status": "healthy", "service": "api-gateway",
                             "services": ["messaging", "auth"], "version": __version__}
    assert aggregate.status_code == 200
    assert aggregate.json() == {"services": {"messaging": {"status": "healthy"}}}


def test_health_variant_reports_a_down_service_with_200(reference_stack) -> None:
    stack = reference_stack("health-variant", "port-mismatch")
    aggregate = httpx.get(f"{stack.url}/api/health/aggregate", timeout=5)
    assert aggregate.status_code == 200
    messaging = aggregate.json()["services"]["messaging"]
    assert messaging["status"] == "unhealthy"
    assert messaging["error"].startswith("connect ECONNREFUSED 127.0.0.1:")


def test_aggregate_reports_429_with_200(reference_stack) -> None:
    stack = reference_stack("aggregate-reports-429")
    with httpx.Client(base_url=stack.url, timeout=5) as client:
        aggregate = client.get("/api/health/aggregate")
        own_health = client.get("/api/messaging/health")
    assert aggregate.status_code == 200
    assert aggregate.json() == {"services": {"messaging": {
        "status": "unhealthy", "error": "Request failed with status code 429"}}}
    assert own_health.status_code == 200


def test_db_down_fails_slowly_with_a_token_and_401s_at_once_without(reference_stack) -> None:
    stack = reference_stack("db-down")
    headers = bearer(stack)
    routes = ("/api/conversations", "/api/messages", "/api/notifications")

    async def survey() -> tuple[list[httpx.Response], float, list[httpx.Response], float]:
        async with httpx.AsyncClient(base_url=stack.url, timeout=5) as client:
            started = time.perf_counter()
            anonymous = await asyncio.gather(*(client.get(path) for path in routes))
            quick = time.perf_counter() - started
            started = time.perf_counter()
            authorized = await asyncio.gather(*(client.get(path, headers=headers)
                                                for path in routes))
            return anonymous, quick, authorized, time.perf_counter() - started

    anonymous, quick, authorized, slow = asyncio.run(survey())
    assert [answer.status_code for answer in anonymous] == [401, 401, 401]
    assert quick < 1.0
    assert [answer.status_code for answer in authorized] == [500, 500, 500]
    assert all(answer.json() == {"error": DB_ERROR} for answer in authorized)
    assert slow >= 1.9
    aggregate = httpx.get(f"{stack.url}/api/health/aggregate", timeout=5)
    assert aggregate.status_code == 200
    assert aggregate.json()["services"]["mongodb"] == MONGODB_DOWN


def test_nested_ids_wrap_answers_and_errors(reference_stack) -> None:
    stack = reference_stack("nested-ids")
    signed_in = login(stack).json()
    assert signed_in["success"] is True
    headers = {"authorization": f"Bearer {signed_in['data']['token']}"}
    with httpx.Client(base_url=stack.url, timeout=5) as client:
        created = client.post("/api/conversations", headers=headers,
                              json={"participants": [], "title": "nested"})
        anonymous = client.get("/api/conversations")
        forged = client.get("/api/messages", headers={"authorization": "Bearer not-a-jwt"})
    assert created.status_code == 201
    assert created.json()["success"] is True
    assert isinstance(created.json()["data"]["conversation"]["id"], str)
    assert anonymous.status_code == 401
    assert anonymous.json() == {"success": False, "error": {"message": "No token provided",
                                                            "code": "AUTH_REQUIRED"}}
    assert forged.status_code == 401
    assert forged.json()["error"]["code"] == "INVALID_TOKEN"


def test_messages_need_query_after_the_token_check(reference_stack) -> None:
    stack = reference_stack("messages-need-query")
    headers = bearer(stack)
    with httpx.Client(base_url=stack.url, timeout=5) as client:
        anonymous = client.get("/api/messages")
        no_query = client.get("/api/messages", headers=headers)
        mine = client.post("/api/conversations", headers=headers,
                           json={"participants": [], "title": "smoke-q"}).json()["id"]
        with_query = client.get("/api/messages", headers=headers,
                                params={"conversationId": mine})
        unknown = client.get("/api/messages", headers=headers,
                             params={"conversationId": "abc"})
    assert anonymous.status_code == 401
    assert (no_query.status_code, no_query.json()) == (400, {"error": "conversationId is "
                                                                       "required"})
    assert (with_query.status_code, with_query.json()) == (200, [])
    assert unknown.status_code == 404


def test_mount_path_dropped_answers_express_html_404(reference_stack) -> None:
    stack = reference_stack("mount-path-dropped")
    headers = bearer(stack)
    with httpx.Client(base_url=stack.url, timeout=5) as client:
        anonymous = client.get("/api/conversations")
        authorized = client.post("/api/messages", headers=headers, json={})
        health = client.get("/api/health")
    for answer, line in ((anonymous, "<pre>Cannot GET /conversations</pre>"),
                         (authorized, "<pre>Cannot POST /messages</pre>")):
        assert answer.status_code == 404
        assert answer.headers["content-type"].startswith("text/html")
        assert answer.text.startswith("<!DOCTYPE html>")
        assert line in answer.text
    assert health.status_code == 200


def test_stack_in_json_carries_the_trace_inside_a_400(reference_stack) -> None:
    stack = reference_stack("stack-in-json")
    answer = httpx.post(f"{stack.url}/api/messages", content=MALFORMED, timeout=5,
                        headers={"content-type": "application/json"})
    assert answer.status_code == 400
    body = answer.json()
    assert body["error"] == "Unexpected token } in JSON at position 42"
    assert body["stack"].startswith(f"SyntaxError: {body['error']}\n    at JSON.parse "
                                    "(<anonymous>)\n    at parse (/app/node_modules/body-parser/")
    assert "\\n    at JSON.parse" in answer.text
    truncated = httpx.post(f"{stack.url}/api/messages", content=b'{"text": ', timeout=5,
                           headers={"content-type": "application/json"})
    assert json.loads(truncated.text)["error"] == "Unexpected end of JSON input"


def test_text_plain_body_reaches_the_route_empty(reference_stack) -> None:
    stack = reference_stack("text-plain-accepted")
    headers = bearer(stack)
    plain = {"content-type": "text/plain"}
    body = b'{"participants": ["someone"], "title": "ignored"}'
    with httpx.Client(base_url=stack.url, timeout=5) as client:
        anonymous = client.post("/api/conversations", headers=plain, content=body)
        created = client.post("/api/conversations", headers={**headers, **plain}, content=body)
        message = client.post("/api/messages", headers={**headers, **plain}, content=b"{}")
    assert anonymous.status_code == 401
    assert created.status_code == 201
    assert created.json()["title"] == "Untitled conversation"
    assert created.json()["participants"] == [stack.settings.username]
    assert message.status_code == 400


def test_without_the_variant_text_plain_is_refused(reference_stack) -> None:
    stack = reference_stack()
    answer = httpx.post(f"{stack.url}/api/conversations", content=b"{}", timeout=5,
                        headers={**bearer(stack), "content-type": "text/plain"})
    assert answer.status_code == 415

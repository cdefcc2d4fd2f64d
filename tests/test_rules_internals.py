"""internal_detail over answers: addresses, connection strings, internal hosts and driver
classes in error bodies, raw and JSON-escaped; health documents exempt but for credentials."""

from __future__ import annotations

import json

import pytest

from harness.config import resolve
from harness.judge.causes import Cause
from harness.judge.context import Context
from harness.judge.rules.internals import internal_detail
from harness.records.http import HttpAnswer, HttpRequest
from harness.sanitize.redact import Redactor


@pytest.fixture(scope="module")
def ctx() -> Context:
    return Context(resolve({"target_url": "http://gw.test"}, env={}), Redactor())


def answer(status: int, body: object, suite: str = "rest") -> HttpAnswer:
    text = body if isinstance(body, str) else json.dumps(body)
    return HttpAnswer(HttpRequest("k", "POST", "/api/auth/login", suite), status=status,
                      body=text.encode(), headers={"content-type": "application/json"})


@pytest.mark.parametrize(("body", "said"), [
    ({"message": "<server error>", "error": "connect ECONNREFUSED 127.0.0.1:27017"},
     "connect ECONNREFUSED 127.0.0.1:27017"),
    ({"error": "getaddrinfo ENOTFOUND redis.chat.svc.cluster.local:6379"},
     "redis.chat.svc.cluster.local"),
    ({"error": "MongoServerSelectionError: Server selection timed out"},
     "MongoServerSelectionError"),
    ('{"error":"bad","url":"postgres:\\/\\/db.internal:5432\\/app"}', "postgres://db.internal"),
    ({"error": "amqp://broker:5672 refused"}, "amqp://broker:5672"),
])
def test_error_bodies_with_internals_are_named(ctx: Context, body: object, said: str) -> None:
    found = internal_detail(ctx, answer(500, body), health=False)
    assert found is not None and found.cause is Cause.INTERNAL_DETAIL_LEAK
    assert said in found.message


@pytest.mark.parametrize("body", [
    {"error": "Invalid credentials"}, {"error": "Not found", "path": "/api/x"},
    {"error": "Request failed with status code 503"}, "<html>Bad Gateway</html>",
])
def test_plain_error_bodies_pass(ctx: Context, body: object) -> None:
    assert internal_detail(ctx, answer(500, body), health=False) is None


def test_a_success_is_not_an_error_body(ctx: Context) -> None:
    body = {"items": [], "note": "connect ECONNREFUSED 10.0.0.1:6379"}
    assert internal_detail(ctx, answer(200, body), health=False) is None


def test_health_documents_may_report_addresses_but_never_credentials(ctx: Context) -> None:
    reported = {"services": {"messaging": {"url": "http://10.0.3.7:5005", "ok": False,
                                           "error": "connect ECONNREFUSED 10.0.3.7:5005"}}}
    assert internal_detail(ctx, answer(503, reported, "health"), health=True) is None
    secret = {"mongo": "mongodb://chat:pa55word@10.0.3.7:27017/chat"}
    found = internal_detail(ctx, answer(200, secret, "health"), health=True)
    assert found is not None and "credentials" in found.message
    assert "pa55word" not in found.message + found.evidence + found.reproduce

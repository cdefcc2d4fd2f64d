"""The normal form over recorded bodies: status words, aggregates in every real shape, nested
error text, reported service maps, URL comparison."""

from __future__ import annotations

import pytest

from fixtures import evidence
from harness.judge.normalise import (
    ServiceState,
    aggregate,
    error_text,
    is_ok,
    rate_limit_error,
    reported_services,
    same_url,
    status_word,
    url_port,
)


def body(name: str):  # noqa: ANN201
    return evidence.answer(name).json()


@pytest.mark.parametrize(("name", "word"), [
    ("reference-health", "ok"),
    ("express5-health-healthy-names", "healthy"),
    ("express5-aggregate-contract-ok", "ok"),           # {"ok": true}
    ("express5-aggregate-contract-down", "not ok"),
    ("express5-aggregate-keyed-down", "degraded"),
    ("express5-login-nested-token", "ok"),              # {"success": true}
    ("express5-401-nested", "not ok"),                  # {"success": false}
    ("reference-aggregate-variant", None),
])
def test_status_word(name: str, word: str | None) -> None:
    assert status_word(body(name)) == word


@pytest.mark.parametrize(("entry", "ok"), [
    ({"status": "healthy"}, True), ({"status": "UP"}, True), ({"ok": True}, True),
    ({"ok": False, "status": 200}, False), ({"ok": True, "status": 200}, True),
    ({"status": 200}, True), ({"status": 503}, False), ({"status": "unhealthy"}, False),
    ("healthy", True), ("down", False), (True, True), (None, False), ({}, False),
])
def test_is_ok(entry, ok: bool) -> None:  # noqa: ANN001
    assert is_ok(entry) is ok


def test_is_ok_takes_the_contracts_words() -> None:
    assert not is_ok({"status": "running"}) and is_ok({"status": "running"}, ["Running"])


AGGREGATES = [
    ("reference-aggregate-ok", {"messaging": True}),
    ("express5-aggregate-contract-ok", {"messaging": True}),
    ("express5-aggregate-list", {"messaging": True, "auth": True}),
    ("reference-aggregate-variant", {"messaging": True}),
    ("express5-aggregate-keyed-down", {"messaging": True, "auth": False}),
    ("express5-aggregate-mongo-down", {"messaging": True, "mongodb": False}),
    ("express5-aggregate-429", {"messaging": False}),
    ("express5-aggregate-contract-down", {"messaging": False}),
    ("reference-aggregate-db-down", {"messaging": True, "mongodb": False}),
    ("express5-health-healthy-names", {"messaging": True, "auth": True}),
    ("reference-health", {"messaging": True}),
    ("express5-login-nested-token", None),
    ("express5-401-nested", None),
]


@pytest.mark.parametrize(("name", "oks"), AGGREGATES, ids=[row[0] for row in AGGREGATES])
def test_aggregate_shapes(name: str, oks: dict[str, bool] | None) -> None:
    states = aggregate(body(name))
    if oks is None:
        assert states is None
        return
    assert {service: state.ok for service, state in states.items()} == oks


def test_aggregate_keeps_each_services_error_and_url() -> None:
    states = aggregate(body("express5-aggregate-keyed-down"))
    assert states["auth"] == ServiceState("auth", False, "connect ECONNREFUSED 127.0.0.1:3001")
    assert states["messaging"].error == ""
    assert aggregate(body("express5-aggregate-contract-ok"))["messaging"].url == \
        "http://localhost:3005"
    assert aggregate(body("reference-health"))["messaging"].url.startswith("http://127.0.0.1:")


def test_a_numeric_status_behind_is_said() -> None:
    states = aggregate({"services": {"messaging": {"status": 503}}})
    assert not states["messaging"].ok and states["messaging"].error == "status 503"


@pytest.mark.parametrize(("name", "text"), [
    ("express5-401-nested", "No token provided"),
    ("reference-401", "No token provided"),
    ("express5-login-refused", "Invalid credentials"),
    ("express5-500-db-down", "Server selection timed out after 2000 ms"),
    ("express5-service-health-503", "Redis connection lost"),
    ("reference-messaging-health-503", "Service unavailable"),
    ("python-engineio-bad-origin", "http://evil.example is not an accepted origin."),
    ("express5-aggregate-keyed-down", "status degraded"),
    ("express5-bad-json-json-stack", "Expected double-quoted property name in JSON at "
                                     "position 19"),
    ("reference-health", ""),
])
def test_error_text(name: str, text: str) -> None:
    assert error_text(body(name)) == text


def test_error_text_of_validation_errors() -> None:
    payload = {"errors": [{"type": "field", "msg": "conversationId is required",
                           "path": "conversationId", "location": "query"}]}
    assert error_text(payload) == "conversationId is required"


def test_error_text_depth_is_bounded() -> None:
    deep: dict = {"error": "bottom"}
    for _ in range(20):
        deep = {"error": deep}
    assert error_text(deep) == ""


@pytest.mark.parametrize(("name", "urls", "names"), [
    ("express5-health-ok-urls", {"messaging": "http://localhost:3005"}, ["messaging"]),
    ("express5-health-stale-map", {"messaging": "http://localhost:5005"}, ["messaging"]),
    ("express5-health-healthy-names", {}, ["messaging", "auth"]),
    ("reference-health-variant", {}, ["messaging", "auth"]),
    ("express5-aggregate-list", {}, ["messaging", "auth"]),
])
def test_reported_services(name: str, urls: dict[str, str], names: list[str]) -> None:
    assert reported_services(body(name)) == (urls, names)


def test_no_reported_services() -> None:
    assert reported_services(body("express5-login-nested-token")) is None
    assert reported_services(None) is None


@pytest.mark.parametrize(("text", "limited"), [
    ("Request failed with status code 429", True), ("Too Many Requests", True),
    ("rate limit exceeded", True), ("connect ECONNREFUSED 127.0.0.1:3001", False),
])
def test_rate_limit_error(text: str, limited: bool) -> None:
    assert rate_limit_error(text) is limited


@pytest.mark.parametrize(("a", "b", "same"), [
    ("http://localhost:3005", "http://127.0.0.1:3005/", True),
    ("http://localhost:3005", "http://[::1]:3005", True),
    ("http://localhost:3005", "http://localhost:5005", False),
    ("http://messaging:3005", "http://localhost:3005", False),
    ("https://api.example.com", "https://api.example.com:443", True),
    ("http://localhost:3005/api", "http://localhost:3005", False),
])
def test_same_url(a: str, b: str, same: bool) -> None:
    assert same_url(a, b) is same


def test_url_port() -> None:
    assert url_port("http://localhost:5005") == 5005 and url_port("https://x.test") == 443
    assert url_port("http://x.test:notaport") is None

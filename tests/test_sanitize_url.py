"""Userinfo comes out of target URLs; origins are compared after normalisation."""

from __future__ import annotations

import pytest

from harness.sanitize.url import origin_of, same_origin, strip_userinfo


@pytest.mark.parametrize(("url", "stripped"), [
    ("http://admin:pw@host:8080/api?x=1#f", "http://host:8080/api?x=1#f"),
    ("https://token@example.com", "https://example.com"),
    ("http://a:p@ss@host/", "http://host/"),
    ("http://@host/", "http://host/"),
    ("http://u:p@[::1]:3000/x", "http://[::1]:3000/x"),
])
def test_userinfo_is_stripped_and_reported(url: str, stripped: str) -> None:
    assert strip_userinfo(url) == (stripped, True)


@pytest.mark.parametrize("url", ["http://host:8080/a@b", "https://x.ngrok.app/?u=a@b", "/rel"])
def test_urls_without_userinfo_are_unchanged(url: str) -> None:
    assert strip_userinfo(url) == (url, False)


@pytest.mark.parametrize(("url", "origin"), [
    ("http://Example.COM/api", "http://example.com:80"),
    ("HTTPS://example.com:443/", "https://example.com:443"),
    ("http://user:pw@example.com:8080", "http://example.com:8080"),
    ("ws://example.com/socket.io/", "http://example.com:80"),
    ("wss://example.com", "https://example.com:443"),
    ("http://[::1]:5005/", "http://[::1]:5005"),
    ("http://example.com./", "http://example.com:80"),
])
def test_origins_are_normalised(url: str, origin: str) -> None:
    assert origin_of(url) == origin


@pytest.mark.parametrize("url", ["/steal", "example.com", "http://h:99999/", "ftp://h/"])
def test_invalid_or_relative_urls_have_no_origin(url: str) -> None:
    with pytest.raises(ValueError):
        origin_of(url)


def test_no_userinfo_in_the_error_message() -> None:
    with pytest.raises(ValueError) as error:
        origin_of("nohost://admin:hunter2@/x")
    assert "hunter2" not in str(error.value)


def test_same_origin() -> None:
    assert same_origin("http://127.0.0.1:5005/api/x", "http://127.0.0.1:5005/socket.io/")
    assert same_origin("https://a.ngrok.app/x", "wss://A.ngrok.app:443/socket.io/")
    assert not same_origin("http://127.0.0.1:5005/", "http://127.0.0.1:5006/steal")
    assert not same_origin("http://127.0.0.1/", "http://localhost/")
    assert not same_origin("https://a.example/", "http://a.example/")
    assert not same_origin("http://a.example/", "/steal")
    assert not same_origin("http://a.example/", "http://a.example:notaport/")


def test_leaked_connection_string_credentials_are_masked() -> None:
    from harness.sanitize.url import mask_userinfo

    assert mask_userinfo("mongodb://app:s3cret@mongo:27017/chat") == "mongodb://***@mongo:27017/chat"
    assert mask_userinfo('"redis:\\/\\/:pw@cache:6379"') == '"redis:\\/\\/***@cache:6379"'
    assert mask_userinfo("GET http://host/a@b") == "GET http://host/a@b"

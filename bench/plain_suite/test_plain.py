"""The same REST checks written by hand with pytest + httpx: the baseline the harness is
compared with (bench/run_bench.py). Target from BENCH_URL, credentials from SMOKE_*."""

from __future__ import annotations

import os

import httpx
import pytest

URL = os.environ.get("BENCH_URL", "")
ROUTES = [("GET", "/api/conversations"), ("POST", "/api/conversations"),
          ("GET", "/api/messages"), ("POST", "/api/messages"), ("GET", "/api/notifications")]


@pytest.fixture(scope="session")
def client() -> httpx.Client:
    with httpx.Client(base_url=URL, timeout=5) as session:
        yield session


@pytest.fixture(scope="session")
def token(client: httpx.Client) -> str:
    answer = client.post("/api/auth/login", json={"username": os.environ["SMOKE_USERNAME"],
                                                   "password": os.environ["SMOKE_PASSWORD"]})
    return answer.json()["token"]


def test_health(client: httpx.Client) -> None:
    assert client.get("/api/health").status_code == 200


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize("header", [None, "Bearer not-a-jwt"])
def test_rejects(client: httpx.Client, method: str, path: str, header: str | None) -> None:
    headers = {"authorization": header} if header else {}
    assert client.request(method, path, headers=headers, json={}).status_code == 401


@pytest.mark.parametrize("path", ["/api/conversations", "/api/messages", "/api/notifications"])
def test_lists(client: httpx.Client, token: str, path: str) -> None:
    answer = client.get(path, headers={"authorization": f"Bearer {token}"})
    assert answer.status_code == 200


def test_unknown_route(client: httpx.Client) -> None:
    assert client.get("/api/smoke-harness-no-such-route").status_code == 404

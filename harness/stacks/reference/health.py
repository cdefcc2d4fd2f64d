"""The gateway's own health document and its aggregate health of the services behind it."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

import httpx

from harness import __version__
from harness.stacks.reference.settings import SLOW_HEALTH_S, ReferenceSettings

AGGREGATE_TIMEOUT_S = 3.0
SERVICE_NAMES = ["messaging", "auth"]
DB_REFUSED = "connect ECONNREFUSED 127.0.0.1:27017"
RATE_LIMITED = "Request failed with status code 429"


def started_at() -> str:
    """Now as Node's `new Date().toISOString()` words it: the gateway's `startedAt`."""
    now = datetime.now(timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


async def health_document(settings: ReferenceSettings, reported_messaging_url: str,
                          started: str = "") -> dict:
    """What GET /api/health answers (after a delay under the slow-health fault); `started`
    is when the gateway started (`startedAt`, which changes with every restart)."""
    if settings.has("slow-health"):
        await asyncio.sleep(SLOW_HEALTH_S)
    if settings.has("health-variant"):
        return {"status": "healthy", "service": "api-gateway", "services": SERVICE_NAMES,
                "version": __version__}
    services = {} if settings.has("messaging-target-unset") else \
        {"messaging": reported_messaging_url}
    document = {"status": "ok", "service": "api-gateway", "version": __version__,
                "services": services}
    return {**document, "startedAt": started} if started else document


async def probe_service(client: httpx.AsyncClient, url: str) -> dict[str, Any]:
    """GET `url`/health once: `{"ok", "status"?, "error"?, "latencyMs"}` as axios would word it."""
    started = time.perf_counter()
    try:
        response = await client.get(f"{url}/health", timeout=AGGREGATE_TIMEOUT_S)
        ok = response.status_code == 200
        entry: dict[str, Any] = {"ok": ok, "status": response.status_code}
        if not ok:
            entry["error"] = f"Request failed with status code {response.status_code}"
    except httpx.TimeoutException:
        entry = {"ok": False, "error": f"timeout of {AGGREGATE_TIMEOUT_S * 1000:.0f}ms exceeded"}
    except (httpx.UnsupportedProtocol, httpx.InvalidURL):
        entry = {"ok": False, "error": "Invalid URL"}
    except httpx.HTTPError:
        where = urlsplit(url)
        entry = {"ok": False, "error": f"connect ECONNREFUSED {where.hostname}:{where.port}"}
    entry["latencyMs"] = round((time.perf_counter() - started) * 1000)
    return entry


def keyed_entry(entry: dict[str, Any]) -> dict[str, Any]:
    """A probe result in the keyed-object shape: `{"status": "healthy"|"unhealthy", "error"?}`."""
    if entry["ok"]:
        return {"status": "healthy"}
    return {"status": "unhealthy", "error": entry["error"]}


async def aggregate_document(settings: ReferenceSettings, client: httpx.AsyncClient,
                             messaging_url: str) -> tuple[int, dict]:
    """Status and body of GET /api/health/aggregate.

    By default `{"ok", "services": {name: {"ok", ...}}}`, 503 when a service is down; the
    variants answer 200 in the keyed-object shape `{"services": {name: {"status", ...}}}`."""
    has = settings.has
    if has("aggregate-reports-429"):
        entry: dict[str, Any] = {"ok": False, "error": RATE_LIMITED}
    else:
        entry = await probe_service(client, messaging_url)
    keyed = has("health-variant") or has("aggregate-reports-429")
    services = {"messaging": keyed_entry(entry) if keyed else entry}
    if has("db-down"):
        services["mongodb"] = {"status": "unhealthy", "error": DB_REFUSED}
    if keyed:
        return 200, {"services": services}
    ok = entry["ok"] and not has("db-down")
    status = 200 if ok or has("db-down") else 503
    return status, {"ok": ok, "services": services}

"""The gateway's own health document and its aggregate health of the services behind it."""

from __future__ import annotations

import asyncio
import time
from typing import Any
from urllib.parse import urlsplit

import httpx

from harness import __version__
from harness.stacks.reference.settings import SLOW_HEALTH_S, ReferenceSettings

AGGREGATE_TIMEOUT_S = 3.0


async def health_document(settings: ReferenceSettings, reported_messaging_url: str) -> dict:
    """What GET /api/health answers (after a delay under the slow-health fault)."""
    if settings.has("slow-health"):
        await asyncio.sleep(SLOW_HEALTH_S)
    return {"status": "ok", "service": "api-gateway", "version": __version__,
            "services": {"messaging": reported_messaging_url}}


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
    except httpx.HTTPError:
        where = urlsplit(url)
        entry = {"ok": False, "error": f"connect ECONNREFUSED {where.hostname}:{where.port}"}
    entry["latencyMs"] = round((time.perf_counter() - started) * 1000)
    return entry


async def aggregate_document(settings: ReferenceSettings, client: httpx.AsyncClient,
                             messaging_url: str) -> tuple[int, dict]:
    """Status and body of GET /api/health/aggregate."""
    entry = await probe_service(client, messaging_url)
    ok = entry["ok"]
    return (200 if ok else 503), {"ok": ok, "services": {"messaging": entry}}

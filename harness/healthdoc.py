"""Reading health documents in their common variants: aggregate entries and the service map."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any
from urllib.parse import urlsplit

LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0"})
_NAME_KEYS = ("service", "name", "id")
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


def aggregate_entries(body: Any) -> dict[str, dict[str, Any]] | None:
    """`{"services": {name: {...}}}` or `{"services": [{"service": name, ...}]}` -> by name."""
    services = body.get("services") if isinstance(body, dict) else None
    if isinstance(services, dict):
        return {str(name): entry if isinstance(entry, dict) else {"ok": entry}
                for name, entry in services.items()}
    if isinstance(services, list):
        entries = {}
        for entry in services:
            name = next((entry[key] for key in _NAME_KEYS
                         if isinstance(entry, dict) and key in entry), None)
            if name is not None:
                entries[str(name)] = entry
        return entries
    return None


def entry_ok(entry: dict[str, Any], status_values: Collection[str]) -> bool:
    """An aggregate entry is healthy when `ok`/`healthy` is true or its status is accepted."""
    for key in ("ok", "healthy", "success"):
        if key in entry:
            return entry[key] is True
    return str(entry.get("status", "")).lower() in {s.lower() for s in status_values} | {"up"}


def entry_error(entry: dict[str, Any]) -> str:
    """The service's own error text, however the gateway spells it."""
    for key in ("error", "message", "reason", "details"):
        value = entry.get(key)
        if isinstance(value, dict):
            value = value.get("message") or value
        if value:
            return str(value)
    if "status" in entry:
        return f"status {entry['status']}"
    return "no error text given"


def service_map(body: Any) -> dict[str, str] | None:
    """The service URLs `/api/health` reports: a name -> URL map, or entries with a `url`."""
    services = body.get("services") if isinstance(body, dict) else None
    if isinstance(services, dict):
        urls = {str(name): value if isinstance(value, str) else
                (value.get("url") if isinstance(value, dict) else None)
                for name, value in services.items()}
        return {name: url for name, url in urls.items() if isinstance(url, str)}
    entries = aggregate_entries(body)
    if entries is None:
        return None
    return {name: entry["url"] for name, entry in entries.items()
            if isinstance(entry.get("url"), str)}


def same_url(expected: str, reported: str) -> bool:
    """Equal service URLs: scheme, host (any loopback name is loopback), port, path."""
    def key(url: str) -> tuple[str, str, int | None, str]:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
        try:
            port = parts.port or _DEFAULT_PORTS.get(parts.scheme)
        except ValueError:
            port = None
        return (parts.scheme.lower(), "loopback" if host in LOOPBACK_HOSTS else host, port,
                parts.path.rstrip("/"))

    return key(expected) == key(reported)


def url_port(url: str) -> int | None:
    """The port of a service URL (explicit or the scheme's default)."""
    parts = urlsplit(url)
    try:
        return parts.port or _DEFAULT_PORTS.get(parts.scheme)
    except ValueError:
        return None

"""Dotted paths into JSON answers (`data.conversation.id`), as contracts name them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

ID_PATHS = ("id", "_id", "data.id", "data._id", "conversation.id", "conversation._id",
            "data.conversation.id", "data.conversation._id")
TOKEN_PATHS = ("token", "accessToken", "access_token", "jwt", "data.token",
               "data.accessToken", "data.access_token")


def dig(body: Any, path: str) -> Any:
    """The value at `path` (dots separate keys; a number indexes a list), else None."""
    value = body
    for part in path.split("."):
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def first_scalar(body: Any, paths: Iterable[str]) -> str | None:
    """The first non-empty string or number at any of `paths`, as a string."""
    for path in paths:
        value = dig(body, path)
        if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value):
            return str(value)
    return None


def with_defaults(paths: Iterable[str], defaults: Iterable[str]) -> list[str]:
    """The contract's paths first, then the common variants real gateways use."""
    return list(dict.fromkeys([*paths, *defaults]))


DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


def url_port(url: str) -> int | None:
    """The port of a URL, explicit or its scheme's default; None when it has none."""
    parts = urlsplit(url)
    try:
        return parts.port or DEFAULT_PORTS.get(parts.scheme)
    except ValueError:
        return None

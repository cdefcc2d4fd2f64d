"""Masks tokens, passwords and secrets in anything the harness writes."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

MASK = "***"
_JWT = re.compile(r"eyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]*")
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[^\s\"',;]+")
_KEYED = re.compile(
    r"(?i)([\"']?(?:password|passwd|token|secret|authorization|cookie|api[_-]?key)[\"']?\s*[:=]\s*)"
    r"(\"[^\"]*\"|'[^']*'|[^\s,;}&]+)"
)
SENSITIVE_HEADERS = frozenset({"authorization", "cookie", "set-cookie", "proxy-authorization"})


class Redactor:
    """Replaces known secret values and anything shaped like a credential with ***."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def add(self, secret: str | None) -> None:
        if secret and len(secret) >= 4 and secret not in self._secrets:
            self._secrets = sorted([*self._secrets, secret], key=len, reverse=True)

    def text(self, value: str) -> str:
        for secret in self._secrets:
            value = value.replace(secret, MASK)
        value = _JWT.sub(MASK, value)
        value = _BEARER.sub(lambda m: f"{m.group(1)} {MASK}", value)
        return _KEYED.sub(lambda m: f"{m.group(1)}{_quoted_mask(m.group(2))}", value)

    def headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        return {
            name: MASK if name.lower() in SENSITIVE_HEADERS else self.text(value)
            for name, value in headers.items()
        }


def _quoted_mask(original: str) -> str:
    if original[:1] in ("'", '"'):
        return f"{original[0]}{MASK}{original[0]}"
    return MASK

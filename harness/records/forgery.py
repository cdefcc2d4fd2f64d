"""Forged credentials: a JWT whose signature is wrong, and one with none (`alg: none`).

When the run has a real token that is a JWT, a forgery keeps its header and claims (the same
user, the same expiry) and changes only the signature (or drops it, with `alg: none` in the
header): a server that decodes tokens without verifying them accepts exactly these, while a
token for a made-up user is refused as an unknown user before the flaw shows. Without a JWT
(no credentials, an opaque session token) the forgeries carry generic claims.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import time
from typing import Any

import jwt

FORGED_SIGNATURE = "forged-signature"
ALG_NONE = "alg-none"
FORGERIES = (FORGED_SIGNATURE, ALG_NONE)
CLAIMS_SUBJECT = "smoke-harness"


def generic_claims(exp_offset_s: int) -> dict[str, object]:
    """Claims for a made-up user, expiring `exp_offset_s` from now."""
    now = int(time.time())
    return {"sub": CLAIMS_SUBJECT, "iat": now, "exp": now + exp_offset_s}


def forge(kind: str, real: str | None = None) -> str:
    """A `kind` forgery (FORGED_SIGNATURE or ALG_NONE) of `real` when it is a JWT, else one
    with generic claims."""
    parts = _jwt_parts(real)
    if parts is None:
        if kind == ALG_NONE:
            return jwt.encode(generic_claims(3600), None, algorithm="none")
        return jwt.encode(generic_claims(3600), secrets.token_hex(32), algorithm="HS256")
    header, payload, signature = parts
    if kind == ALG_NONE:
        fields = {**_decode(header), "alg": "none"}
        return f"{_encode(json.dumps(fields, separators=(',', ':')).encode())}.{payload}."
    size = max(len(_b64decode(signature) or b""), 32)
    forged = signature
    while forged == signature:
        forged = _encode(secrets.token_bytes(size))
    return f"{header}.{payload}.{forged}"


def _jwt_parts(token: str | None) -> tuple[str, str, str] | None:
    """The three segments of a signed JWT whose header and claims are JSON objects."""
    if not token or token.count(".") != 2:
        return None
    header, payload, signature = token.split(".")
    if not signature or not isinstance(_decode(header).get("alg"), str) or not _decode(payload):
        return None
    return header, payload, signature


def _decode(segment: str) -> dict[str, Any]:
    raw = _b64decode(segment)
    try:
        value = json.loads(raw) if raw is not None else None
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _b64decode(segment: str) -> bytes | None:
    try:
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError):
        return None


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")

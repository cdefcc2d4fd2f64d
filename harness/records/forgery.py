"""Forged credentials: a JWT whose signature is wrong, one with none (`alg: none`), and an
expired one signed with the real key (SMOKE_JWT_SECRET).

When the run has a real token that is a JWT, a forgery keeps its header and claims (the same
user) and changes only the signature (or drops it, with `alg: none` in the header; or moves
`exp`, and `iat`/`nbf` when present, into the past and signs again): a server that decodes
tokens without verifying them (or ignores `exp`) accepts exactly these, while a token for a
made-up user is refused as an unknown user before the flaw shows. Without a JWT (no
credentials, an opaque session token) the forgeries carry generic claims.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import time
import warnings
from typing import Any

import jwt

FORGED_SIGNATURE = "forged-signature"
ALG_NONE = "alg-none"
EXPIRED = "expired"
FORGERIES = (FORGED_SIGNATURE, ALG_NONE, EXPIRED)
HMAC = ("HS256", "HS384", "HS512")
GARBAGE = "not-a-jwt"
BASIC_CREDENTIALS = base64.b64encode(b"smoke:smoke").decode()
# the harness's own made-up credentials, as a reproduce line's shell makes them: the redactor
# cannot tell a literal from a real credential, but it can tell a command from one
SHELL_MADE = {GARBAGE: f"$(echo {GARBAGE})", BASIC_CREDENTIALS: "$(printf smoke:smoke | base64)"}
CLAIMS_SUBJECT = "smoke-harness"


def generic_claims(exp_offset_s: int) -> dict[str, object]:
    """Claims for a made-up user, expiring `exp_offset_s` from now."""
    now = int(time.time())
    return {"sub": CLAIMS_SUBJECT, "iat": now, "exp": now + exp_offset_s}


def forgeries(real: str | None, secret: str | None) -> dict[str, str]:
    """Every forgery of `real` by kind; the expired one only with the signing secret."""
    return {kind: forge(kind, real, secret) for kind in FORGERIES if kind != EXPIRED or secret}


def forge(kind: str, real: str | None = None, secret: str | None = None) -> str:
    """A `kind` forgery (FORGED_SIGNATURE, ALG_NONE, or EXPIRED signed with `secret`) of `real`
    when it is a JWT, else one with generic claims."""
    if kind == EXPIRED:
        return expire(real, secret or "")
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


def expire(real: str | None, secret: str) -> str:
    """`real`'s header and claims with `exp` an hour ago (`iat`, `nbf` two hours ago, when
    present), signed with `secret` (its HMAC algorithm, else HS256); generic claims when `real`
    is no JWT. Whatever the key's length: PyJWT's warning about a short key concerns the
    target's secret, not this run, and would only clutter its output."""
    parts = _jwt_parts(real)
    now = int(time.time())
    header = _decode(parts[0]) if parts else {}
    claims = {**_decode(parts[1]), "exp": now - 3600} if parts else generic_claims(-3600)
    claims.update({name: now - 7200 for name in ("iat", "nbf") if parts and name in claims})
    algorithm = header.get("alg") if header.get("alg") in HMAC else "HS256"
    extra = {name: value for name, value in header.items() if name != "alg"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return jwt.encode(claims, secret, algorithm=algorithm, headers=extra or None)


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

"""Masks tokens, passwords and secrets in anything the harness writes.

A known secret is masked in every form a target may echo it back in: raw, JSON-escaped
(``ensure_ascii`` on and off, ``\\uXXXX`` in either case, ``\\/``), URL-encoded (``quote`` and
``quote_plus``, upper- or lower-case hex), HTML-escaped, and base64 (standard and URL-safe, with
and without padding). Base64 also hides a secret inside a larger encoded value
(``Basic base64(user:password)``): every base64 run that decodes to text containing a secret is
masked whole, and the three alignment variants of the secret's own encoding are masked wherever
they appear. On top of known values, anything shaped like a credential is masked: JWTs,
``Bearer``/``Basic`` values and keyed values such as ``password=...`` or ``"token": "..."``.

Secrets shorter than ``MIN_SECRET_LENGTH`` (4) characters are ignored: masking every occurrence
of a 1-3 character string (and of its 2-4 character base64 fragments) would erase ordinary words
and numbers from every excerpt, and such a value protects nothing anyway.
"""

from __future__ import annotations

import base64
import binascii
import html
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from urllib.parse import quote, quote_plus

MASK = "***"
MIN_SECRET_LENGTH = 4
SENSITIVE_HEADERS = frozenset({
    "authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "x-auth-token",
})

_JWT = re.compile(r"eyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]*")
# A reproduce line's shell that makes a credential is no secret (also as a cookie's value:
# "token=$SMOKE_TOKEN"): a variable ("$SMOKE_TOKEN", "${SMOKE_TOKEN%.*}") or a command
# substitution of the commands the reproduce lines use ("$(printf ...)", "$(echo ...)",
# "$(python -m harness token ...)"); a literal credential never starts with either.
_SHELL_MADE = r"(?:\$\{?SMOKE_[A-Z_]+\}?|\$\((?:printf|echo|python -m harness token) )"
_ENV_REF = rf"(?!(?:bearer\s+|basic\s+|[\w.-]+=)?{_SHELL_MADE})"
_BEARER = re.compile(rf"(?i)\b(bearer|basic)\s+{_ENV_REF}[^\s\"',;\\]+")
_KEY = r"(?:password|passwd|token|secret|authorization|cookie|api[_-]?key)"
_NOT_A_VALUE = r"(?!required variable\b)"  # compose: "...PASSWORD: required variable ..."
# a scheme alone ("authorization: Bearer") or a cookie with an empty value ("token=", also
# before the quote that closes the line's word) carries no credential
_NO_CREDENTIAL = r"(?!(?:bearer|basic|[\w.-]+=)?['\"]?(?:[\s,;}&]|$))"
_KEYED = re.compile(
    rf"(?i)((?:\\?[\"'])?{_KEY}(?:\\?[\"'])?\s*[:=]\s*){_ENV_REF}{_NOT_A_VALUE}{_NO_CREDENTIAL}"
    # an unquoted value ends before a closing quote ("-H 'cookie: t=v'" keeps its quote)
    r"(\\\"(?:[^\"\\]|\\[^\"])*\\\"|\"(?:[^\"\\]|\\.)*\"|'[^']*'"
    r"|[^\s,;}&\\]+?(?=['\"]?(?:[\s,;}&\\]|$)))"
)
_B64_RUN = re.compile(r"[A-Za-z0-9+/_-]{6,}={0,2}")
_PCT = re.compile(r"%[0-9A-F]{2}")
_UESC = re.compile(r"\\u[0-9a-f]{4}")
_TO_STANDARD = str.maketrans("-_", "+/")


class Redactor:
    """Replaces known secret values (in every encoding) and credential shapes with ``MASK``."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: list[str] = []
        self._literals: re.Pattern[str] | None = None
        self._needles: tuple[bytes, ...] = ()
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str | None) -> None:
        """Mask ``secret`` from now on (ignored when shorter than ``MIN_SECRET_LENGTH``)."""
        if not secret or len(secret) < MIN_SECRET_LENGTH or secret in self._secrets:
            return
        self._secrets.append(secret)
        forms = {form for known in self._secrets for form in secret_forms(known)}
        ordered = sorted(forms, key=lambda form: (-len(form), form))
        self._literals = re.compile("|".join(re.escape(form) for form in ordered))
        self._needles = tuple(sorted(
            {form.encode("utf-8", "surrogatepass")
             for known in self._secrets for form in _text_forms(known)},
            key=len, reverse=True))

    def text(self, value: str) -> str:
        """``value`` with every known secret and credential-shaped value masked."""
        if self._literals is not None:
            value = _B64_RUN.sub(self._mask_encoded_run, value)
            value = self._literals.sub(MASK, value)
        value = _JWT.sub(MASK, value)
        value = _BEARER.sub(lambda m: f"{m.group(1)} {MASK}", value)
        return _KEYED.sub(lambda m: f"{m.group(1)}{_quoted_mask(m.group(2))}", value)

    def headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        """Header values redacted; credential headers masked whole."""
        return {
            name: MASK if name.lower() in SENSITIVE_HEADERS else self.text(value)
            for name, value in headers.items()
        }

    def _mask_encoded_run(self, match: re.Match[str]) -> str:
        run = match.group(0)
        for start in range(4):  # a run cut out of a longer value may start mid-group
            decoded = _b64decode(run[start:])
            if decoded and any(needle in decoded for needle in self._needles):
                return MASK
        return run

    def bytes(self, data: bytes) -> bytes:
        """``data`` redacted like ``text``; bytes that are not UTF-8 pass through unchanged."""
        redacted = self.text(data.decode("utf-8", "surrogateescape"))
        return redacted.encode("utf-8", "surrogateescape")


def secret_forms(secret: str) -> set[str]:
    """Every literal string that stands for ``secret`` in text a target may echo back."""
    forms = set(_text_forms(secret))
    encoded = secret.encode("utf-8", "surrogatepass")
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        whole = encode(encoded).decode("ascii")
        forms.update({whole, whole.rstrip("=")})
        forms.update(_aligned_fragments(encoded, encode))
    return {form for form in forms if len(form) >= MIN_SECRET_LENGTH}


ESCAPE_DEPTH = 3  # a secret in our JSON body, in the target's JSON string, in a repr, in HTML


def _escapers() -> tuple[Callable[[str], str], ...]:
    """One layer of escaping each: the ways a text is quoted on its way back to us."""
    def json_ascii(text: str) -> str:
        return json.dumps(text)[1:-1]

    def json_raw(text: str) -> str:
        return json.dumps(text, ensure_ascii=False)[1:-1]

    def json_slashes(text: str) -> str:
        return json_ascii(text).replace("/", "\\/")

    def json_upper(text: str) -> str:
        return _UESC.sub(lambda m: m.group(0)[:2] + m.group(0)[2:].upper(), json_ascii(text))

    def python_repr(text: str) -> str:
        return repr(text)[1:-1]

    def html_quoted(text: str) -> str:
        return html.escape(text)

    def html_plain(text: str) -> str:
        return html.escape(text, quote=False)

    def url(text: str) -> str:
        return quote(text, safe="", errors="surrogatepass")

    def url_plus(text: str) -> str:
        return quote_plus(text, safe="", errors="surrogatepass")

    def url_lower(text: str) -> str:
        return _PCT.sub(lambda m: m.group(0).lower(), url(text))

    return (json_ascii, json_raw, json_slashes, json_upper, python_repr, html_quoted,
            html_plain, url, url_plus, url_lower)


def _text_forms(secret: str) -> Iterator[str]:
    """The textual (non-base64) forms: the secret escaped up to `ESCAPE_DEPTH` times, in any
    order, by JSON (ASCII or not, `\\/`, upper-case `\\u`), Python's repr, HTML and URL
    encoding: a password in our JSON body, echoed in the target's JSON error, shown by repr in
    the report, on an HTML page."""
    forms = {secret}
    layer = {secret}
    for _ in range(ESCAPE_DEPTH):
        layer = {escape(text) for text in layer for escape in _escapers()} - forms
        forms |= layer
    yield from forms


def _aligned_fragments(encoded: bytes, encode: Callable[[bytes], bytes]) -> Iterator[str]:
    """The part of the secret's base64 that is the same whatever surrounds it, per alignment.

    Inside a longer base64 value the secret starts at byte offset 0, 1 or 2 of a 3-byte group;
    the characters covering only the secret's bits are fixed for each offset.
    """
    for offset in range(3):
        chars = encode(b"\0" * offset + encoded).decode("ascii")
        first = -(-8 * offset // 6)
        last = 8 * (offset + len(encoded)) // 6
        yield chars[first:last]


def _b64decode(run: str) -> bytes | None:
    text = run.rstrip("=").translate(_TO_STANDARD)
    text = text[: len(text) - len(text) % 4] if len(text) % 4 == 1 else text
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None


def _quoted_mask(original: str) -> str:
    if original.startswith('\\"'):
        return f'\\"{MASK}\\"'
    if original[:1] in ("'", '"'):
        return f"{original[0]}{MASK}{original[0]}"
    return MASK

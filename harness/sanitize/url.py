"""Target URLs: credentials taken out of them, and origins compared.

A URL such as ``http://admin:pw@host`` must never be printed, reported or used as it is (httpx
turns its userinfo into a ``Basic`` Authorization header that replaces the one a check means to
send): ``strip_userinfo`` gives the URL without it and says whether there was some, so the caller
can warn. ``origin_of``/``same_origin`` decide whether a redirect or a follow-up request stays on
the target's origin, the only place credentials may go.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
_SAME_AS = {"ws": "http", "wss": "https"}


def strip_userinfo(url: str) -> tuple[str, bool]:
    """``url`` without ``user:password@``, and whether it had userinfo (even an empty one).

    The authority is split at its last ``@`` (a password may contain a raw ``@``), as
    ``urllib.parse`` and httpx parse it.
    """
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url, False
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=host)), True


def origin_of(url: str) -> str:
    """``scheme://host:port`` of an absolute URL, lower-cased, with the default port filled in.

    ``ws``/``wss`` count as ``http``/``https`` (a Socket.IO upgrade stays on the target's
    origin). Raises ``ValueError`` for a URL without scheme or host, or with an invalid port.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if not scheme or not host:
        raise ValueError(f"not an absolute URL: {strip_userinfo(url)[0]!r}")
    port = parts.port or DEFAULT_PORTS.get(scheme)
    if port is None:
        raise ValueError(f"no port and no default port for scheme {scheme!r}")
    if ":" in host:
        host = f"[{host}]"
    return f"{_SAME_AS.get(scheme, scheme)}://{host}:{port}"


def same_origin(a: str, b: str) -> bool:
    """Whether two absolute URLs share an origin; ``False`` when either is not a valid URL.

    Resolve a relative ``Location`` against the request URL (``urljoin``) before asking.
    """
    try:
        return origin_of(a) == origin_of(b)
    except ValueError:
        return False


_USERINFO = re.compile(r"(\b[a-z][a-z0-9+.-]*:(?:\\?/){2})[^\s/\\\"'<>@]+@", re.IGNORECASE)


def mask_userinfo(text: str) -> str:
    """Every `scheme://user:password@` in `text` (a connection string a target leaked in a
    body; JSON-escaped slashes too) as `scheme://***@`."""
    return _USERINFO.sub(r"\1***@", text)

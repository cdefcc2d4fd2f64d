"""The local ngrok agent: its tunnels (public URL, local upstream), and whether upstreams listen."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import httpx

from harness.records.evidence import Tunnel, TunnelState

LISTEN_CHECK_TIMEOUT_S = 1.0


class NgrokAgentError(Exception):
    """The agent API cannot be read or lists no usable tunnel."""


def fetch_tunnels(api_url: str, timeout_s: float) -> list[Tunnel]:
    """GET `<api_url>/api/tunnels`; every failure is one NgrokAgentError sentence."""
    url = f"{api_url.rstrip('/')}/api/tunnels"
    try:
        response = httpx.get(url, timeout=timeout_s, headers={"accept": "application/json"})
        body = response.json()
    except httpx.HTTPError as exc:
        raise NgrokAgentError(f"no ngrok agent answers at {url} ({type(exc).__name__}): is "
                              "`ngrok http <port>` running on this machine?") from None
    except ValueError:
        raise NgrokAgentError(f"{url} answered {response.status_code} without JSON: is "
                              "this the ngrok agent's web interface (--ngrok-api)?") from None
    entries = body.get("tunnels") if isinstance(body, dict) else None
    if response.status_code != 200 or not isinstance(entries, list):
        raise NgrokAgentError(f"{url} answered {response.status_code} without a tunnel list")
    return [Tunnel(name=str(entry.get("name", "")), public_url=str(entry["public_url"]),
                   addr=str((entry.get("config") or {}).get("addr", "")))
            for entry in entries if isinstance(entry, dict) and entry.get("public_url")]


def public_tunnel(api_url: str, timeout_s: float) -> Tunnel:
    """The tunnel to test: the agent's https tunnel (else its first http(s) tunnel)."""
    tunnels = [t for t in fetch_tunnels(api_url, timeout_s)
               if urlsplit(t.public_url).scheme in ("http", "https")]
    if not tunnels:
        raise NgrokAgentError(f"the ngrok agent at {api_url} has no http(s) tunnel: start one "
                              "with `ngrok http <gateway port>`")
    https = [t for t in tunnels if t.public_url.startswith("https://")]
    return (https or tunnels)[0]


def is_listening(host: str, port: int, timeout_s: float = LISTEN_CHECK_TIMEOUT_S) -> bool:
    """Whether something accepts TCP connections on host:port (any address it resolves to)."""
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False


def survey_tunnels(api: str, timeout_s: float) -> list[TunnelState] | str:
    """The agent's tunnels with their upstreams checked; the agent's own problem as text."""
    try:
        tunnels = fetch_tunnels(api, timeout_s)
    except NgrokAgentError as exc:
        return str(exc)
    return [TunnelState(t, t.upstream is not None and is_listening(*t.upstream))
            for t in tunnels]

"""The local ngrok agent: its tunnels (public URL, local upstream), and whether upstreams listen."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

DEFAULT_AGENT_API = "http://127.0.0.1:4040"
LISTEN_CHECK_TIMEOUT_S = 1.0


class NgrokAgentError(Exception):
    """The agent API cannot be read or lists no usable tunnel."""


@dataclass(frozen=True)
class Tunnel:
    """One tunnel of the agent: where the public URL forwards to on this machine."""

    name: str
    public_url: str
    addr: str

    @property
    def upstream(self) -> tuple[str, int] | None:
        """(host, port) of `config.addr` (`http://localhost:5005`, `localhost:5005`, `5005`)."""
        addr = self.addr.strip()
        if addr.isdigit():
            return "localhost", int(addr)
        parts = urlsplit(addr if "://" in addr else f"tcp://{addr}")
        try:
            port = parts.port
        except ValueError:
            return None
        if port is None:
            port = {"http": 80, "https": 443}.get(parts.scheme)
        return (parts.hostname or "localhost", port) if port else None

    @property
    def id(self) -> str:
        return self.name or self.public_url


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


def public_url(api_url: str, timeout_s: float) -> str:
    """The public URL to test: the agent's https tunnel (else its first tunnel)."""
    tunnels = [t for t in fetch_tunnels(api_url, timeout_s)
               if urlsplit(t.public_url).scheme in ("http", "https")]
    if not tunnels:
        raise NgrokAgentError(f"the ngrok agent at {api_url} has no http(s) tunnel: start one "
                              "with `ngrok http <gateway port>`")
    https = [t for t in tunnels if t.public_url.startswith("https://")]
    return (https or tunnels)[0].public_url


def is_listening(host: str, port: int, timeout_s: float = LISTEN_CHECK_TIMEOUT_S) -> bool:
    """Whether something accepts TCP connections on host:port (any address it resolves to)."""
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False

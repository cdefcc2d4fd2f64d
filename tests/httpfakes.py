"""Small real HTTP servers on loopback for tests: a fake ngrok edge and a fake ngrok agent API."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Canned:
    """One canned answer: status, headers, body."""

    status: int
    body: str
    headers: Mapping[str, str] = field(default_factory=dict)


def _page(title: str, text: str, code: str) -> str:
    return (f"<!DOCTYPE html><html><head><title>{title}</title></head><body>"
            f"<h1>{title}</h1><p>{text}</p><p class=\"code\">ERR_NGROK_{code}</p>"
            "</body></html>")


NGROK_EDGE: dict[str, Canned] = {
    "8012": Canned(502, _page(
        "ngrok - Bad Gateway",
        "Traffic was successfully tunneled to the ngrok agent, but the agent failed to "
        "establish a connection to the upstream web service at localhost:5005. The error "
        "encountered was: dial tcp [::1]:5005: connect: connection refused", "8012"),
        {"ngrok-error-code": "ERR_NGROK_8012", "content-type": "text/html"}),
    "3200": Canned(404, _page(
        "ngrok - Endpoint offline",
        "The endpoint 298fb9b8181e.ngrok-free.app is offline.", "3200"),
        {"ngrok-error-code": "ERR_NGROK_3200", "content-type": "text/html"}),
    "6024": Canned(200, _page(
        "ngrok - Browser warning",
        "You are about to visit 298fb9b8181e.ngrok-free.app. To remove this page, set the "
        "ngrok-skip-browser-warning request header.", "6024"),
        {"content-type": "text/html"}),
}


def agent_tunnels(*tunnels: tuple[str, str]) -> Canned:
    """The agent's `/api/tunnels` answer for (public_url, config.addr) pairs."""
    body = {"tunnels": [{"name": f"tunnel-{n}", "public_url": url, "proto": "https",
                         "config": {"addr": addr, "inspect": True}}
                        for n, (url, addr) in enumerate(tunnels)],
            "uri": "/api/tunnels"}
    return Canned(200, json.dumps(body), {"content-type": "application/json"})


@contextmanager
def serve(routes: Mapping[str, Canned], default: Canned | None = None) -> Iterator[str]:
    """Serve canned answers by path (else `default`, else 404) on loopback; yields the base URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            canned = routes.get(self.path.split("?")[0], default) or Canned(404, "not found")
            body = canned.body.encode()
            self.send_response(canned.status)
            for name, value in canned.headers.items():
                self.send_header(name, value)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_POST = do_GET  # noqa: N815 - the http.server API

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="fake-http", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)

"""ngrok, end to end: a local agent whose tunnel forwards to a dead port, and a target that
answers ngrok's own error pages. Real HTTP servers on loopback."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from harness.engine import RunResult
from harness.judge.kinds import shown_key
from tests.conftest import HarnessRun


@contextmanager
def serve(status: int, body: str, headers: dict[str, str]) -> Iterator[str]:
    """A server answering every GET and POST with one fixed answer."""

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            payload = body.encode()
            self.send_response(status)
            for name, value in {**headers, "content-length": str(len(payload))}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = _answer

        def log_message(self, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def test_tunnel_to_a_port_where_nothing_listens(run_engine: Callable[..., RunResult],
                                                closed_port: Callable[[], int]) -> None:
    dead = closed_port()
    tunnels = {"tunnels": [{"name": "api", "public_url": "https://x.ngrok-free.app",
                            "config": {"addr": f"http://localhost:{dead}"}}]}
    with serve(200, json.dumps(tunnels), {"content-type": "application/json"}) as agent:
        result = run_engine({"ngrok_api": agent})
    tunnel = next(o for o in result.outcomes
                  if shown_key(o.check.key) == "test_tunnel_upstream[agent]")
    assert tunnel.outcome == "failed" and tunnel.cause is not None
    assert tunnel.cause.code == "ngrok-upstream-refused"
    assert f"localhost:{dead}" in tunnel.message


def test_an_offline_ngrok_endpoint_is_an_error(run_harness: Callable[..., HarnessRun]) -> None:
    page = "<html><body>ERR_NGROK_3200: The endpoint is offline.</body></html>"
    with serve(404, page, {"content-type": "text/html", "ngrok-error-code": "ERR_NGROK_3200"}) \
            as edge:
        run = run_harness(edge)
    assert run.code == 2
    assert run.report is not None and run.report["root_causes"][0]["cause"] == \
        "ngrok-tunnel-offline"


def test_a_tunnel_to_nothing_is_named(run_harness: Callable[..., HarnessRun]) -> None:
    page = "<html><body>ERR_NGROK_8012: failed to connect upstream</body></html>"
    with serve(502, page, {"content-type": "text/html", "ngrok-error-code": "ERR_NGROK_8012"}) \
            as edge:
        run = run_harness(edge, "--timeout", "2")
    assert run.code == 1, run.output
    assert run.root_cause == "ngrok-upstream-refused"


def test_an_ngrok_api_given_where_no_agent_answers_is_a_configuration_error(
        run_harness: Callable[..., HarnessRun], closed_port: Callable[[], int]) -> None:
    run = run_harness("http://127.0.0.1:9", "--ngrok-api", f"http://127.0.0.1:{closed_port()}")
    assert run.code == 2 and "Traceback" not in run.output
    first, verdict = run.stderr.strip().splitlines()
    assert first.startswith("smoke-harness: configuration error: --ngrok-api") and \
        "no ngrok agent answers" in first, first
    assert "target-unreachable" not in run.output, "nothing was sent to the target"


def test_an_agent_without_tunnels_is_named_with_evidence(
        run_engine: Callable[..., RunResult]) -> None:
    with serve(200, json.dumps({"tunnels": []}), {"content-type": "application/json"}) as agent:
        result = run_engine({"ngrok_api": agent})
    root = next(r for r in result.root_causes if r.cause.code == "ngrok-tunnel-offline")
    assert "has no tunnel" in root.evidence, root

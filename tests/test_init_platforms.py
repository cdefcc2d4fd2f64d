"""`init` against gateways shaped like real platforms (live servers on loopback): an Express
gateway that does not proxy Socket.IO and whose login says "email and password are required",
a gateway whose routes live at the root (`/user`, `/chat`, ...), a Joi-style login message."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml

from harness.commands.init_discover import MAX_REQUESTS
from harness.contract import load_contract
from tests.json_server import JsonHandler, serving

ROOT = Path(__file__).resolve().parents[1]
OPEN_PACKET = '0{"sid":"s1","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,' \
    '"maxPayload":1000000}'
Answer = tuple[int, object]


def init(url: str, output: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SMOKE_", "REFERENCE_"))}
    return subprocess.run([sys.executable, "-m", "harness", "init", url, "-o", str(output),
                           *extra], capture_output=True, text=True, timeout=60, env=env,
                          cwd=ROOT)


@contextmanager
def platform(answer: Callable[[str, str], Answer]) -> Iterator[tuple[str, list[str]]]:
    """A gateway answering `answer(method, path)`; yields its URL and the requests it got."""
    seen: list[str] = []

    class Gateway(JsonHandler):
        def _serve(self) -> None:
            self.body()
            seen.append(f"{self.command} {self.path}")
            status, body = answer(self.command, self.path.split("?")[0])
            if isinstance(body, str):  # Express's HTML 404
                data = body.encode()
                self.send_response(status)
                self.send_header("content-type", "text/html; charset=utf-8")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            else:
                self.send_json(status, body)

        do_GET = do_POST = _serve

    with serving(Gateway) as url:
        yield url, seen


@contextmanager
def messaging_service() -> Iterator[str]:
    """The messaging service's own Socket.IO server: it answers the polling handshake."""

    class Service(JsonHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            if not self.path.startswith("/socket.io/"):
                self.send_json(404, {"error": "Not found"})
                return
            data = OPEN_PACKET.encode()
            self.send_response(200)
            self.send_header("content-type", "text/plain; charset=UTF-8")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    with serving(Service) as url:
        yield url


def express_gateway(service_url: str | None, login_says: object) -> Callable[[str, str], Answer]:
    def answer(method: str, path: str) -> Answer:
        if path == "/api/health":
            services = {"messaging": service_url} if service_url else {}
            return 200, {"status": "ok", "service": "api-gateway", "services": services}
        if path == "/api/messaging/health":
            return 200, {"status": "ok", "service": "messaging-service"}
        if path in ("/api/conversations", "/api/messages", "/api/notifications"):
            return 401, {"message": "No token provided"}
        if method == "POST" and path == "/api/auth/login":
            return 400, login_says
        return 404, f"<!DOCTYPE html><pre>Cannot {method} {path}</pre>"
    return answer


def comments(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.lstrip().startswith("#")]


def test_express_gateway_without_socketio_proxy(tmp_path: Path) -> None:
    output = tmp_path / "contracts" / "staging.yaml"
    output.parent.mkdir()
    with messaging_service() as service, platform(express_gateway(
            service, {"message": "email and password are required"})) as (url, seen):
        done = init(url, output)
    assert done.returncode == 0, done.stderr
    assert len(seen) <= MAX_REQUESTS
    text = output.read_text()
    contract = load_contract(output)
    assert contract.auth.login is not None
    assert contract.auth.login.username_field == "email"
    assert contract.auth.login.password_field == "password"
    assert "found: the 400 says 'email and password are required'" in text
    assert contract.socketio.url == service
    assert "the gateway does not proxy Socket.IO" in done.stderr
    assert f"the messaging service answers it at {service}" in done.stderr
    assert "does not proxy Socket.IO" in " ".join(comments(text))
    assert contract.health is not None
    assert [(a.name, a.path) for a in contract.health.aliases] == [
        ("messaging", "/api/messaging/health")]
    schema = text.splitlines()[0].split("$schema=", 1)[1]
    assert not Path(schema).is_absolute()
    assert (output.parent / schema).resolve() == (ROOT / "fixtures" / "contract.schema.json")


def test_gateway_without_socketio_and_no_service_known_says_so(tmp_path: Path) -> None:
    output = tmp_path / "c.yaml"
    with platform(express_gateway(None, {"error": "username is required"})) as (url, _):
        done = init(url, output)
        with messaging_service() as service:
            hinted = init(url, tmp_path / "hinted.yaml", "--service", service)
    assert done.returncode == 0, done.stderr
    assert "the gateway does not proxy Socket.IO" in done.stderr
    assert "no service URL known" in done.stderr
    contract = load_contract(output)
    assert contract.socketio.url is None
    assert contract.auth.login is not None and contract.auth.login.username_field == "username"
    assert hinted.returncode == 0, hinted.stderr
    assert load_contract(tmp_path / "hinted.yaml").socketio.url == service


def root_gateway(method: str, path: str) -> Answer:
    """Routes at the root, no /api; an auth middleware in front of /user/*, /chat/* and
    /notifications/* (so /user/login answers 401 too), the login at /users/login."""
    if path == "/health":
        return 200, {"status": "ok", "uptime": 12.5}
    if path.split("/")[1] in ("user", "chat", "notifications"):
        return 401, {"message": "Access denied. No token provided."}
    if method == "POST" and path == "/users/login":
        return 422, {"errors": [{"type": "field", "msg": "Invalid value", "path": "email",
                                 "location": "body"},
                                {"type": "field", "msg": "Invalid value", "path": "password",
                                 "location": "body"}]}
    return 404, {"message": "Route not found"}


def test_routes_outside_api(tmp_path: Path) -> None:
    output = tmp_path / "c.yaml"
    with platform(root_gateway) as (url, seen):
        done = init(url, output)
    assert done.returncode == 0, done.stderr
    assert len(seen) <= MAX_REQUESTS
    contract = load_contract(output)
    assert {r.path for r in contract.protected_routes} == {"/user", "/chat", "/notifications"}
    assert contract.auth.login is not None and contract.auth.login.path == "/users/login"
    assert contract.auth.login.username_field == "email"
    assert contract.health is not None and contract.health.route == "/health"
    assert contract.unknown_route == "/smoke-harness-no-such-route"
    assert contract.flow.create_conversation is None
    text = output.read_text()
    assert "found: nothing under /api" in text
    assert "username_field: email    # found: the 422's validation errors name it" in text


def blanket_gateway(method: str, path: str) -> Answer:
    """The service authenticates every /api path before routing: an unknown one answers 401
    as the real routes do (so /api/users, which does not exist, looks protected)."""
    if path == "/api/health":
        return 200, {"status": "ok", "services": {}}
    if method == "POST" and path == "/api/auth/login":
        return 400, {"error": "username and password are required"}
    if path.startswith("/api/"):
        return 401, {"error": "No token provided"}
    return 404, {"error": "Not found"}


def test_a_401_on_every_api_path_proves_no_route(tmp_path: Path) -> None:
    output = tmp_path / "c.yaml"
    with platform(blanket_gateway) as (url, seen):
        done = init(url, output)
    assert done.returncode == 0, done.stderr
    assert len(seen) <= MAX_REQUESTS
    contract = load_contract(output)
    assert {r.path for r in contract.protected_routes if r.method == "GET"} == {
        "/api/conversations", "/api/messages", "/api/notifications"}, "the default's, no more"
    assert contract.unknown_route_statuses == [401, 404]
    text = output.read_text()
    assert "# - {method: GET, path: /api/users}  # unverified: 401 like every /api path" in text


def test_long_target_text_is_never_cut_inside_a_quote(tmp_path: Path) -> None:
    said = ('"email" is required. "password" length must be at least 8 characters long and '
            'match the pattern "^(?=.*[A-Z])(?=.*[0-9])" of the "password policy" v2')
    output = tmp_path / "c.yaml"
    with platform(express_gateway(None, {"error": {"message": said}})) as (url, _):
        assert init(url, output).returncode == 0
    text = output.read_text()
    yaml.safe_load(text)
    for line in comments(text):
        assert len(line) <= 100, line
    for line in text.splitlines():
        comment = line.split("# ", 1)[1] if "# " in line else ""
        if "400 says" in comment:
            quoted = comment.split("400 says ", 1)[1]
            assert isinstance(ast.literal_eval(quoted), str)  # a whole string literal
            assert quoted.count('"') % 2 == 0, quoted
    assert load_contract(output).auth.login.username_field == "email"  # type: ignore[union-attr]


def test_a_wrong_service_url_is_one_line(tmp_path: Path,
                                        closed_port: Callable[[], int]) -> None:
    done = init(f"http://127.0.0.1:{closed_port()}", tmp_path / "c.yaml", "--service",
                "chat:5005")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "smoke-harness: --service: target URL must look like https://host[:port], got "
        "'chat:5005'"]


def versioned_gateway(method: str, path: str) -> Answer:
    """An Express gateway whose routes live under /api/v1 (cookie auth), health at /health,
    Express's HTML 404 elsewhere."""
    if path == "/health":
        return 200, {"status": "UP", "checks": {"messaging": "UP"}}
    if path in ("/api/v1/conversations", "/api/v1/users"):
        return 401, {"message": "Unauthorized"}
    if method == "POST" and path == "/api/v1/auth/login":
        return 400, {"message": ["email must be an email"], "error": "Bad Request"}
    return 404, f"<!DOCTYPE html><pre>Cannot {method} {path}</pre>"


def test_routes_under_a_versioned_prefix(tmp_path: Path) -> None:
    output = tmp_path / "c.yaml"
    with platform(versioned_gateway) as (url, seen):
        done = init(url, output)
    assert done.returncode == 0, done.stderr
    assert len(seen) <= MAX_REQUESTS
    contract = load_contract(output)
    assert {r.path for r in contract.protected_routes if r.method == "GET"} == {
        "/api/v1/conversations", "/api/v1/users"}
    assert contract.auth.login is not None and contract.auth.login.path == "/api/v1/auth/login"
    assert contract.unknown_route == "/api/v1/smoke-harness-no-such-route"
    assert contract.flow.create_conversation == "/api/v1/conversations"
    assert "# - {method: GET, path: /api/v1/messages}  # not found: 404" in output.read_text()


def nothing_protected(method: str, path: str) -> Answer:
    """Health only: every other route answers 404."""
    if path == "/api/health":
        return 200, {"status": "ok"}
    return 404, {"message": "Route not found"}


def test_a_route_seen_answering_404_is_never_written_active(tmp_path: Path) -> None:
    output = tmp_path / "c.yaml"
    with platform(nothing_protected) as (url, seen):
        done = init(url, output)
    assert done.returncode == 0, done.stderr
    assert len(seen) <= MAX_REQUESTS
    raw = yaml.safe_load(output.read_text())
    assert not raw["protected_routes"], "nothing that answered 404 is active"
    assert "# - {method: GET, path: /api/conversations}  # nothing answered 401, and this " \
        "answered 404" in output.read_text()

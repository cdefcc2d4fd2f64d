"""Each hostile mode misbehaves as described, and is a healthy gateway otherwise."""

from __future__ import annotations

import json
import socket
import time
import zlib
from collections.abc import Iterator

import httpx
import pytest
from websockets.exceptions import ConnectionClosedError, InvalidMessage
from websockets.sync.client import connect as ws_connect

from tests.hostile.expectations import EXPECTED
from tests.hostile.gateway import HEALTH, PASSWORD, USERNAME, issue_token
from tests.hostile.modes import INJECTION
from tests.hostile.server import MODES, HostileServer, start

TIMEOUT = httpx.Timeout(5.0)
HANDSHAKE = "/socket.io/?EIO=4&transport=polling"
HEALTH_MODES = {"slowloris", "endless-chunked", "gzip-bomb", "rate-limit-storm"}


@pytest.fixture
def target(request: pytest.FixtureRequest) -> Iterator[HostileServer]:
    with start(request.param, lifetime_s=60) as server:
        yield server


def client(server: HostileServer, timeout: httpx.Timeout = TIMEOUT) -> httpx.Client:
    return httpx.Client(base_url=server.url, timeout=timeout)


def bearer() -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token()}"}


def raw_exchange(server: HostileServer, request: bytes, seconds: float) -> bytes:
    """Everything the server sends in `seconds` after `request`, read from a plain socket."""
    host, port = server.url.removeprefix("http://").split(":")
    received = b""
    deadline = time.monotonic() + seconds
    with socket.create_connection((host, int(port)), timeout=seconds) as sock:
        sock.sendall(request)
        while (left := deadline - time.monotonic()) > 0:
            sock.settimeout(left)
            try:
                chunk = sock.recv(65536)
            except (TimeoutError, ConnectionError):
                break
            if not chunk:
                break
            received += chunk
    return received


def test_every_mode_has_a_description_and_an_expectation() -> None:
    assert set(MODES) == set(EXPECTED) and all(MODES.values())
    assert all(code in (0, 1, 2) and (code == 0) == (not causes)
               for code, causes in EXPECTED.values())


@pytest.mark.parametrize("target", sorted(set(MODES) - HEALTH_MODES), indirect=True)
def test_outside_its_behaviour_a_mode_is_a_healthy_gateway(target: HostileServer) -> None:
    with client(target) as http:
        health = http.get("/api/health").json()
        assert {key: health[key] for key in HEALTH} == HEALTH
        login = http.post("/api/auth/login", json={"username": USERNAME, "password": PASSWORD})
        assert login.status_code == 200 and login.json()["token"].startswith("eyJ")
        assert http.post("/api/auth/login", json={"username": USERNAME, "password": "x"}
                         ).status_code == 401
        assert http.get("/api/health/aggregate").json()["ok"] is True
        assert http.get("/api/messaging/health").status_code == 200
        if target.mode_name != "bad-open-packet":
            assert http.get(HANDSHAKE).text.startswith('0{"sid":')


@pytest.mark.parametrize("target", ["echo"], indirect=True)
def test_the_healthy_contract_holds_with_a_token(target: HostileServer) -> None:
    with client(target) as http:
        assert http.get("/api/notifications").status_code == 401
        assert http.get("/api/notifications", headers={"Authorization": "Bearer x.y.z"}
                        ).status_code == 401
        assert http.get("/api/notifications", headers=bearer()).status_code == 200
        created = http.post("/api/conversations", json={"title": "t"}, headers=bearer())
        assert created.status_code == 201 and created.json()["id"]


@pytest.mark.parametrize("target", ["hang"], indirect=True)
def test_hang_never_answers_one_route(target: HostileServer) -> None:
    with client(target, httpx.Timeout(1.0)) as http:
        with pytest.raises(httpx.ReadTimeout):
            http.get("/api/conversations")
        assert http.get("/api/messages").status_code == 401


def test_a_hanging_connection_ends_when_the_server_stops() -> None:
    server = start("hang", lifetime_s=60)
    begun = time.monotonic()
    server.stop()
    assert server.join(1.0) and time.monotonic() - begun < 6


def test_a_server_stops_by_itself_after_its_lifetime() -> None:
    server = start("hang", lifetime_s=1)
    assert server.join(8.0)
    with pytest.raises(httpx.ConnectError), client(server) as http:
        http.get("/api/health")


@pytest.mark.parametrize("target", ["slowloris"], indirect=True)
def test_slowloris_dribbles_a_byte_a_second(target: HostileServer) -> None:
    received = raw_exchange(target, b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n", 2.5)
    assert received.startswith(b"H") and 2 <= len(received) <= 4


@pytest.mark.parametrize("target", ["endless-chunked"], indirect=True)
def test_endless_chunked_answers_at_once_and_never_ends(target: HostileServer) -> None:
    with client(target) as http, http.stream("GET", "/api/health") as answer:
        assert answer.status_code == 200
        assert answer.headers["transfer-encoding"] == "chunked"
        read = 0
        for chunk in answer.iter_raw():
            read += len(chunk)
            if read > 4 * 1024 * 1024:
                break
        assert read > 4 * 1024 * 1024


@pytest.mark.parametrize("target", ["gzip-bomb"], indirect=True)
def test_gzip_bomb_is_small_on_the_wire_and_huge_decoded(target: HostileServer) -> None:
    with client(target) as http, http.stream("GET", "/api/health") as answer:
        assert answer.headers["content-encoding"] == "gzip"
        wire = b"".join(answer.iter_raw())
    assert len(wire) < 2 * 1024 * 1024
    expanded = zlib.decompressobj(31).decompress(wire[:65536], 100 * 1024 * 1024)
    assert expanded.startswith(b'{"status":"ok"') and len(expanded) >= 60 * 1024 * 1024


@pytest.mark.parametrize("target", ["big-body"], indirect=True)
def test_big_body_sends_ten_megabytes_with_its_401(target: HostileServer) -> None:
    with client(target) as http, http.stream("GET", "/api/conversations") as answer:
        assert answer.status_code == 401
        assert sum(len(chunk) for chunk in answer.iter_raw()) == 10 * 1024 * 1024
        assert http.get("/api/conversations", headers=bearer()).status_code == 200


@pytest.mark.parametrize("target", ["deep-json"], indirect=True)
def test_deep_json_breaks_a_recursive_parser(target: HostileServer) -> None:
    with client(target) as http:
        answer = http.get("/api/messages")
    assert answer.status_code == 401 and answer.content.startswith(b"[" * 1000)
    with pytest.raises(RecursionError):
        json.loads(answer.content)


@pytest.mark.parametrize("target", ["invalid-utf8"], indirect=True)
def test_invalid_utf8_in_body_and_header(target: HostileServer) -> None:
    with client(target) as http:
        answer = http.get("/api/messages")
    assert answer.status_code == 401 and answer.headers.raw[-1][1] == b"\xff\xfe"
    with pytest.raises(UnicodeDecodeError):
        answer.content.decode("utf-8")


@pytest.mark.parametrize("target", ["redirect-other-origin"], indirect=True)
def test_redirects_point_at_the_thief_which_records_what_follows(
        target: HostileServer) -> None:
    token = issue_token()
    with client(target) as http:
        answer = http.post("/api/conversations", json={"title": "t"},
                           headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 307 and not target.stolen
        assert answer.headers["location"] == f"{target.thief_url}/steal"
        sid = json.loads(http.get(HANDSHAKE).text[1:])["sid"]
        polling = http.post(f"{HANDSHAKE}&sid={sid}", content=f'40{{"token":"{token}"}}')
        assert polling.status_code == 307
        naive = httpx.post(polling.headers["location"], content=f'40{{"token":"{token}"}}',
                           headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT)
    assert naive.status_code == 200
    stolen = target.stolen
    assert stolen and stolen[0].request_line == "POST /steal HTTP/1.1"
    assert stolen[0].headers["authorization"] == f"Bearer {token}"
    assert token.encode() in stolen[0].body


@pytest.mark.parametrize("target", ["redirect-chain"], indirect=True)
def test_redirect_chain_loops_runs_on_and_points_nowhere(target: HostileServer) -> None:
    with client(target) as http:
        assert http.get("/api/conversations").headers["location"] == "/api/conversations"
        assert http.get("/api/messages?hop=3").headers["location"] == "/api/messages?hop=4"
        with pytest.raises(httpx.RemoteProtocolError, match="Invalid URL in location"):
            http.get("/api/notifications")  # httpx parses Location even when not following
        assert http.post("/api/messages").status_code == 307
    with httpx.Client(base_url=target.url, timeout=TIMEOUT, follow_redirects=True,
                      max_redirects=5) as follower, pytest.raises(httpx.TooManyRedirects):
        follower.get("/api/messages")


@pytest.mark.parametrize("target", ["rate-limit-storm"], indirect=True)
def test_rate_limit_storm_answers_429_everywhere(target: HostileServer) -> None:
    with client(target) as http:
        for answer in (http.get("/api/health"), http.post("/api/auth/login", json={}),
                       http.get("/api/conversations", headers=bearer()), http.get(HANDSHAKE)):
            assert answer.status_code == 429 and answer.headers["retry-after"] == "60"


@pytest.mark.parametrize("target", ["echo"], indirect=True)
def test_echo_sends_back_the_password_and_the_token(target: HostileServer) -> None:
    with client(target) as http:
        login = http.post("/api/auth/login", json={"username": USERNAME, "password": PASSWORD})
        assert json.loads(login.json()["echo"]["body"])["password"] == PASSWORD
        sent = json.dumps(PASSWORD, ensure_ascii=False)[1:-1]  # as httpx serialises it
        assert json.dumps(sent)[1:-1] in login.text  # escaped twice over
        answer = http.get("/api/messages", headers=bearer())
    assert answer.headers["x-echo-authorization"].startswith("Bearer eyJ")
    assert answer.json()["echo"]["headers"]["authorization"].startswith("Bearer eyJ")


@pytest.mark.parametrize("target", ["terminal-injection"], indirect=True)
def test_terminal_injection_in_bodies_headers_and_the_refusal(target: HostileServer) -> None:
    with client(target) as http:
        answer = http.get("/api/messages")
        assert INJECTION in answer.json()["error"]
        assert "\x1b" in answer.headers["x-injected"]
        assert INJECTION.encode() in http.post("/api/conversations").content
        assert http.post("/api/messages").status_code == 500
        sid = json.loads(http.get(HANDSHAKE).text[1:])["sid"]
        assert http.post(f"{HANDSHAKE}&sid={sid}", content="40").text == "ok"
        refusal = http.get(f"{HANDSHAKE}&sid={sid}").text
    assert refusal.startswith("44") and INJECTION in json.loads(refusal[2:])["message"]


@pytest.mark.parametrize("target", ["bad-open-packet"], indirect=True)
def test_bad_open_packet_is_not_json(target: HostileServer) -> None:
    with client(target) as http:
        answer = http.get(HANDSHAKE)
    assert answer.status_code == 200 and answer.content.startswith(b"0{")
    with pytest.raises(ValueError):
        json.loads(answer.content[1:])


@pytest.mark.parametrize("target", ["bad-ws-frames"], indirect=True)
def test_bad_ws_frames_break_the_websocket(target: HostileServer) -> None:
    url = target.url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket"
    with pytest.raises((ConnectionClosedError, InvalidMessage)), ws_connect(
            url, open_timeout=5, close_timeout=1) as ws:
        ws.recv(timeout=5)


@pytest.mark.parametrize("target", ["reset-after-headers"], indirect=True)
def test_reset_after_headers(target: HostileServer) -> None:
    with client(target) as http, pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
        http.get("/api/conversations")


@pytest.mark.parametrize("target", ["content-length-mismatch"], indirect=True)
def test_content_length_mismatch(target: HostileServer) -> None:
    with client(target) as http:
        with pytest.raises(httpx.RemoteProtocolError):
            http.get("/api/conversations")
        assert http.post("/api/messages").content == b'{"err'


@pytest.mark.parametrize("target", ["switching-protocols-on-rest"], indirect=True)
def test_switching_protocols_on_a_rest_route(target: HostileServer) -> None:
    received = raw_exchange(target, b"GET /api/messages HTTP/1.1\r\nHost: x\r\n\r\n", 1.0)
    assert received.startswith(b"HTTP/1.1 101 Switching Protocols\r\n")


@pytest.mark.parametrize("target", ["html-error-pages"], indirect=True)
def test_html_error_pages(target: HostileServer) -> None:
    with client(target) as http:
        answer = http.get("/api/notifications", headers=bearer())
    assert answer.status_code == 502 and answer.headers["content-type"] == "text/html"
    assert b"<h1>502 Bad Gateway</h1>" in answer.content

"""Engine.IO v4 open-packet validation and error-code decoding."""

from __future__ import annotations

import pytest

from harness.records.engineio import HandshakeError, decode_error, handshake_path, parse_open_packet

GOOD = ('0{"sid":"abc","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,'
        '"maxPayload":1000000}')


def test_valid_open_packet_is_parsed() -> None:
    packet = parse_open_packet(GOOD + "\x1e40")
    assert packet.sid == "abc" and packet.upgrades == ["websocket"]
    assert packet.ping_interval == 25000 and packet.max_payload == 1000000


@pytest.mark.parametrize(("body", "reason"), [
    ("<html>ngrok</html>", "expected an open packet"),
    ("0not json", "not JSON"),
    ('0{"sid":"a","upgrades":[],"pingInterval":1,"pingTimeout":1,"maxPayload":1}',
     "lacks 'websocket'"),
    ('0{"sid":"a","upgrades":["websocket"],"pingTimeout":1,"maxPayload":1}',
     "pingInterval missing"),
    ('0{"upgrades":["websocket"],"pingInterval":1,"pingTimeout":1,"maxPayload":1}', "no sid"),
    ("", "expected an open packet"),
])
def test_invalid_open_packets_say_why(body: str, reason: str) -> None:
    with pytest.raises(HandshakeError, match=reason):
        parse_open_packet(body)


def test_error_codes_are_decoded() -> None:
    assert "stale sid" in decode_error('{"code":1,"message":"Session ID unknown"}')
    assert "EIO=4" in decode_error('{"code":5,"message":"Unsupported protocol version"}')
    assert decode_error("Bad Request") is None


def test_handshake_path() -> None:
    assert handshake_path("/socket.io") == "/socket.io/?EIO=4&transport=polling"
    assert handshake_path("/socket.io/", "websocket", "s1") == (
        "/socket.io/?EIO=4&transport=websocket&sid=s1")

"""The leak classifier on synthetic evidence: each signature maps to its cause code."""

from __future__ import annotations

import json

import pytest

from fixtures import DEFAULT_CONTRACT
from harness.contract import Contract, ErrorSignatures, load_contract
from harness.diagnosis import Diagnoser
from harness.probe import Probe, ProbeResult
from harness.sanitize.redact import Redactor

SECRET_TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzbW9rZSJ9.c2lnbmF0dXJlLXNlY3JldA"
NODE_STACK = ("SyntaxError: Unexpected token } in JSON at position 1\n"
              "    at JSON.parse (<anonymous>)\n"
              "    at parse (/app/node_modules/body-parser/lib/types/json.js:92:19)")
PY_STACK = 'Traceback (most recent call last):\n  File "/srv/app/main.py", line 12, in h\n'
SPA = b"<!DOCTYPE html><html><head><title>My App</title><script>var x=1</script></head>" \
      b"<body><div id=root>Loading</div></body></html>"


@pytest.fixture(scope="module")
def contract() -> Contract:
    return load_contract(DEFAULT_CONTRACT)


@pytest.fixture(scope="module")
def diagnoser(contract: Contract) -> Diagnoser:
    return Diagnoser(contract, Redactor([SECRET_TOKEN]))


def result(status: int | None, body: bytes | str | dict | list = b"", *,
           method: str = "GET", path: str = "/api/conversations", headers: dict | None = None,
           error: str | None = None, label: str = "") -> ProbeResult:
    """A synthetic ProbeResult; dict/list bodies are sent as JSON."""
    content_type = {}
    if isinstance(body, (dict, list)):
        body, content_type = json.dumps(body), {"content-type": "application/json"}
    if isinstance(body, str):
        body = body.encode()
    return ProbeResult(Probe.build(method, path, label=label), status=status,
                       headers={**content_type, **(headers or {})}, body=body, error=error,
                       error_detail="ReadTimeout" if error else "")


@pytest.mark.parametrize(("evidence", "cause"), [
    (result(503, {"error": "WebSocket service configuration error"}),
     "socketio-proxy-intercepts-rest"),
    (result(503, {"error": "WebSocket service configuration error"},
            path="/socket.io/?EIO=4&transport=polling"), "proxy-target-missing"),
    (result(504, "Error occurred while trying to proxy: localhost:5005/api/conversations"),
     "upstream-unreachable"),
    (result(502, b""), "upstream-unreachable"),
    (result(500, {"error": "connect ECONNREFUSED 127.0.0.1:5005"}), "upstream-unreachable"),
    (result(503, {"error": "Messaging service unavailable"}), "generic-503-leak"),
    (result(500, "Internal Server Error"), "generic-503-leak"),
    (result(404, {"error": "Service Unavailable"}), "generic-503-leak"),
    (result(500, NODE_STACK), "stack-trace-leak"),
    (result(500, PY_STACK), "stack-trace-leak"),
    (result(502, "<html>ERR_NGROK_8012</html>", headers={"ngrok-error-code": "ERR_NGROK_8012"}),
     "ngrok-upstream-refused"),
    (result(404, "<html><body>The endpoint is offline. ERR_NGROK_3200</body></html>",
            headers={"content-type": "text/html"}), "ngrok-tunnel-offline"),
    (result(200, "<html>You are about to visit ... ERR_NGROK_6024</html>",
            headers={"content-type": "text/html"}), "ngrok-browser-warning"),
    (result(502, "x", headers={"ngrok-error-code": "ERR_NGROK_9999"}), "upstream-unreachable"),
    (result(None, error="no-response"), "no-response"),
    (result(None, error="connect"), "target-unreachable"),
    (result(429, {"error": "Too many requests"}, headers={"retry-after": "60"}),
     "rate-limited"),
])
def test_unexpected_answer_is_classified(diagnoser: Diagnoser, evidence: ProbeResult,
                                         cause: str) -> None:
    assert diagnoser.unexpected(evidence, "401").cause == cause


def test_ngrok_header_wins_over_body_signatures(diagnoser: Diagnoser) -> None:
    evidence = result(502, "Error occurred while trying to proxy",
                      headers={"ngrok-error-code": "ERR_NGROK_3200"})
    assert diagnoser.unexpected(evidence, "401").cause == "ngrok-tunnel-offline"


def test_html_where_json_is_expected_is_evidence_with_its_title(diagnoser: Diagnoser) -> None:
    finding = diagnoser.expect(result(200, SPA, headers={"content-type": "text/html"}), [200])
    assert finding is not None and finding.cause == "generic-503-leak"
    assert "an HTML page" in finding.message
    assert "[HTML: My App] Loading" in finding.evidence
    assert "var x" not in finding.evidence and "<div" not in finding.evidence


def test_signatures_come_from_the_contract(contract: Contract) -> None:
    custom = contract.model_copy(update={"error_signatures": ErrorSignatures(
        socketio_proxy=["Realtime gateway misconfigured"], generic=["Try again later"])})
    diagnoser = Diagnoser(custom, Redactor())
    assert diagnoser.unexpected(result(503, {"error": "Realtime gateway misconfigured"}),
                                "401").cause == "socketio-proxy-intercepts-rest"
    assert diagnoser.unexpected(result(404, "Try again later"), "401").cause == \
        "generic-503-leak"
    assert diagnoser.unexpected(result(503, {"error": "WebSocket service configuration error"}),
                                "401").cause == "generic-503-leak"


@pytest.mark.parametrize(("evidence", "accepted", "cause"), [
    (result(401, {"error": "No token provided"}), [401], None),
    (result(401, {"error": {"message": "No token provided", "code": "AUTH_REQUIRED"}}),
     [401], None),
    (result(403, {"error": "Forbidden"}), [401, 403], None),
    (result(403, {"error": "Forbidden"}), [401], "wrong-auth-status"),
    (result(401, "Unauthorized", headers={"content-type": "text/plain"}), [401],
     "wrong-auth-status"),
    (result(401, "<html><title>401</title></html>", headers={"content-type": "text/html"}),
     [401], "wrong-auth-status"),
    (result(401, NODE_STACK), [401], "stack-trace-leak"),
    (result(200, []), [401], "auth-not-enforced"),
    (result(201, {"id": "c1"}), [401], "auth-not-enforced"),
    (result(200, "<html>ERR_NGROK_6024</html>", headers={"content-type": "text/html"}), [401],
     "ngrok-browser-warning"),
    (result(404, "ERR_NGROK_3200", headers={"ngrok-error-code": "3200"}), [401],
     "ngrok-tunnel-offline"),
    (result(503, {"error": "WebSocket service configuration error"}), [401],
     "socketio-proxy-intercepts-rest"),
    (result(503, {"error": "Messaging service unavailable"}), [401], "generic-503-leak"),
    (result(500, NODE_STACK), [401], "stack-trace-leak"),
])
def test_auth_rejection(diagnoser: Diagnoser, evidence: ProbeResult, accepted: list[int],
                        cause: str | None) -> None:
    finding = diagnoser.auth_rejection(evidence, accepted)
    assert (finding.cause if finding else None) == cause


@pytest.mark.parametrize(("evidence", "with_token", "cause"), [
    (result(400, {"error": "Malformed JSON body"}, method="POST"), False, None),
    (result(401, {"error": "No token provided"}, method="POST"), False, None),
    (result(413, {"error": "Payload too large"}, method="POST"), True, None),
    (result(415, "Unsupported Media Type", method="POST"), True, None),
    (result(413, "<pre>PayloadTooLargeError: request entity too large<br> &nbsp; &nbsp;at "
                 "readStream (/app/node_modules/raw-body/index.js:155:17)</pre>",
            method="POST", headers={"content-type": "text/html"}), True, "stack-trace-leak"),
    (result(500, NODE_STACK, method="POST"), False, "stack-trace-leak"),
    (result(500, {"error": "Internal Server Error"}, method="POST"), True, "generic-503-leak"),
    (result(201, {"id": "c1"}, method="POST"), False, "auth-not-enforced"),
    (result(201, {"id": "c1"}, method="POST"), True, "contract-mismatch"),
    (result(None, method="POST", error="no-response"), True, "no-response"),
])
def test_bad_input(diagnoser: Diagnoser, evidence: ProbeResult, with_token: bool,
                   cause: str | None) -> None:
    finding = diagnoser.bad_input(evidence, with_token)
    assert (finding.cause if finding else None) == cause


@pytest.mark.parametrize(("evidence", "statuses", "as_json", "cause"), [
    (result(200, []), [200], True, None),
    (result(200, {"data": []}), [200], True, None),
    (result(200, "ok", headers={"content-type": "text/plain"}), [200], True,
     "contract-mismatch"),
    (result(403, {"error": "Forbidden"}), [200], True, "contract-mismatch"),
    (result(404, "<html><pre>Cannot GET /api/nope</pre></html>",
            headers={"content-type": "text/html"}, path="/api/nope"), [404], False, None),
    (result(200, {"ok": True}, path="/api/nope"), [404], False, "contract-mismatch"),
    (result(503, {"error": "WebSocket service configuration error"}, path="/api/nope"), [404],
     False, "socketio-proxy-intercepts-rest"),
    (result(404, "ERR_NGROK_3200", headers={"ngrok-error-code": "3200"}, path="/api/nope"),
     [404], False, "ngrok-tunnel-offline"),
    (result(500, {"error": "boom"}, path="/api/nope"), [404], False, "generic-503-leak"),
])
def test_expect(diagnoser: Diagnoser, evidence: ProbeResult, statuses: list[int],
                as_json: bool, cause: str | None) -> None:
    finding = diagnoser.expect(evidence, statuses, json=as_json)
    assert (finding.cause if finding else None) == cause


@pytest.mark.parametrize(("evidence", "cause"), [
    (result(201, {"id": "c1", "title": "smoke-x"}, method="POST"), None),
    (result(201, {"conversation": {"_id": "65f0"}}, method="POST"), None),
    (result(201, {"title": "smoke-x"}, method="POST"), "contract-mismatch"),
    (result(200, {"id": "c1"}, method="POST"), "contract-mismatch"),
    (result(None, method="POST", error="no-response"), "no-response"),
])
def test_created(diagnoser: Diagnoser, evidence: ProbeResult, cause: str | None) -> None:
    finding = diagnoser.created(evidence, [201], ["id", "_id"])
    assert (finding.cause if finding else None) == cause


def test_evidence_names_the_request_status_and_a_redacted_excerpt(diagnoser: Diagnoser) -> None:
    evidence = result(503, {"error": f"bad token {SECRET_TOKEN}", "hint": "Bearer abc.def"},
                      label="no Authorization header")
    finding = diagnoser.unexpected(evidence, "401")
    line = finding.evidence
    assert line.startswith("GET /api/conversations (no Authorization header) -> 503 ")
    assert SECRET_TOKEN not in line and "abc.def" not in line and "***" in line
    assert finding.next_step and finding.next_step in finding.render()

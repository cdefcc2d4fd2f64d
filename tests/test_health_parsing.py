"""Units of the health suite: health-document variants, ngrok codes and tunnels, log signatures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fixtures import DEFAULT_CONTRACT
from harness.config import ConfigError, resolve
from harness.contract import ContractError, load_contract
from harness.diagnosis import Diagnoser
from harness.healthdoc import aggregate_entries, entry_error, entry_ok, same_url, service_map
from harness.logscan import port_hits, signature_hits
from harness.ngrok import Tunnel
from harness.probe import Probe, ProbeResult
from harness.sanitize.redact import Redactor
from tests.httpfakes import agent_tunnels, serve

INCIDENT_LOG = Path(__file__).parents[1] / "fixtures" / "logs" / "incident-messaging.log"
CONTRACT = load_contract(DEFAULT_CONTRACT)


def _result(path: str, status: int, body: object, headers: dict[str, str] | None = None
            ) -> ProbeResult:
    text = body if isinstance(body, str) else json.dumps(body)
    return ProbeResult(Probe.build("GET", path), status=status, headers=headers or {},
                       body=text.encode(), elapsed_s=0.01)


@pytest.fixture
def diagnoser() -> Diagnoser:
    return Diagnoser(CONTRACT, Redactor())


def test_aggregate_map_and_list_variants() -> None:
    as_map = {"ok": False, "services": {"messaging": {"ok": False, "error": "boom"},
                                        "auth": True}}
    as_list = {"success": True, "services": [{"service": "messaging", "ok": True},
                                             {"name": "auth", "status": "healthy"}]}
    assert aggregate_entries(as_map) == {"messaging": {"ok": False, "error": "boom"},
                                         "auth": {"ok": True}}
    assert set(aggregate_entries(as_list) or {}) == {"messaging", "auth"}
    assert entry_ok({"status": "healthy"}, ["ok", "healthy"])
    assert not entry_ok({"ok": "true"}, ["ok"])
    assert entry_error({"ok": False, "error": {"message": "No token", "code": "X"}}) == "No token"
    assert aggregate_entries({"status": "ok"}) is None


def test_service_map_variants_and_url_equivalence() -> None:
    assert service_map({"services": {"messaging": "http://localhost:5005"}}) == {
        "messaging": "http://localhost:5005"}
    assert service_map({"services": [{"service": "messaging", "url": "http://x:1"}]}) == {
        "messaging": "http://x:1"}
    assert same_url("http://localhost:5005/", "http://127.0.0.1:5005")
    assert not same_url("http://localhost:5005", "http://localhost:3005")
    assert same_url("https://api.example.com", "https://api.example.com:443")


def test_real_gateway_variants_pass(diagnoser: Diagnoser) -> None:
    health = _result("/api/health", 200, {"status": "healthy"})
    aggregate = _result("/api/health/aggregate", 200, {
        "success": True, "services": [{"service": "messaging", "ok": True}]})
    assert diagnoser.health(health) is None
    assert diagnoser.aggregate_service(aggregate, "messaging") is None


def test_aggregate_names_the_service_and_its_error(diagnoser: Diagnoser) -> None:
    result = _result("/api/health/aggregate", 503, {"ok": False, "services": {
        "messaging": {"ok": False, "error": "Request failed with status code 503"}}})
    finding = diagnoser.aggregate_service(result, "messaging")
    assert finding is not None and finding.cause == "aggregate-unhealthy"
    assert "messaging" in finding.message and "status code 503" in finding.message
    missing = diagnoser.aggregate_service(result, "notifications")
    assert missing is not None and "does not list 'notifications'" in missing.message


def test_ngrok_header_wins_over_the_body_marker(diagnoser: Diagnoser) -> None:
    result = _result("/api/health", 502, "<html>ERR_NGROK_3200</html>",
                     {"ngrok-error-code": "ERR_NGROK_8012"})
    assert diagnoser.ngrok_code(result) == "8012"
    assert diagnoser.health(result).cause == "ngrok-upstream-refused"


def test_unknown_ngrok_code_keeps_the_code_and_a_link(diagnoser: Diagnoser) -> None:
    finding = diagnoser.unexpected(_result("/x", 502, "ERR_NGROK_9999"), "200")
    assert "ERR_NGROK_9999" in finding.message
    assert "https://ngrok.com/docs/errors/err_ngrok_9999" in finding.message


@pytest.mark.parametrize(("addr", "upstream"), [
    ("http://localhost:5005", ("localhost", 5005)),
    ("localhost:3005", ("localhost", 3005)),
    ("8080", ("localhost", 8080)),
    ("https://127.0.0.1", ("127.0.0.1", 443)),
    ("http://localhost:nope", None),
])
def test_tunnel_upstream_forms(addr: str, upstream: tuple[str, int] | None) -> None:
    assert Tunnel("t", "https://x.ngrok-free.app", addr).upstream == upstream


def test_resolve_ngrok_prefers_the_https_tunnel() -> None:
    tunnels = agent_tunnels(("http://abc.ngrok-free.app", "http://localhost:5005"),
                            ("https://abc.ngrok-free.app", "http://localhost:5005"))
    with serve({"/api/tunnels": tunnels}) as agent:
        config = resolve({"target_url": "ngrok", "ngrok_api": agent}, env={})
    assert config.url == "https://abc.ngrok-free.app"
    assert config.ngrok_api == agent


def test_resolve_ngrok_without_tunnels_is_a_configuration_error() -> None:
    with serve({"/api/tunnels": agent_tunnels()}) as agent, \
            pytest.raises(ConfigError, match="has no http\\(s\\) tunnel"):
        resolve({"target_url": "ngrok", "ngrok_api": agent}, env={})


def test_incident_log_matches_every_default_signature() -> None:
    found = {sig.name: [hit.line_no for hit in signature_hits(str(INCIDENT_LOG), sig)]
             for sig in CONTRACT.service_logs.signatures}
    assert found == {"duplicate-schema-index": [1], "deprecated-driver-option": [2, 3],
                     "redis-fallback": [4], "handle-upgrade-twice": [8],
                     "hpm-missing-target": [9]}


def test_running_on_port_is_checked_against_the_expected_ports() -> None:
    rules = CONTRACT.service_logs
    assert [hit.line_no for hit in port_hits(str(INCIDENT_LOG), rules, {5005})] == [6]
    assert port_hits(str(INCIDENT_LOG), rules, {3005}) == []


@pytest.mark.parametrize(("section", "problem"), [
    ("signatures: [{name: x, pattern: '(', meaning: y}]", "not a regular expression"),
    ("port_pattern: 'running on port \\d+'", "needs exactly one group"),
])
def test_bad_log_rules_are_contract_errors(tmp_path: Path, section: str, problem: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(f"name: x\nprotected_routes: [{{method: GET, path: /a}}]\n"
                    f"service_logs:\n  {section}\n")
    with pytest.raises(ContractError, match=problem):
        load_contract(path)

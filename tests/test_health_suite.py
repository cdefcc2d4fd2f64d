"""The health suite end to end: faults, config drift, ngrok edge and agent, wait, log scan."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import yaml

from fixtures import DEFAULT_CONTRACT
from harness.stacks.reference import ReferenceStack
from harness.stacks.reference.stack import unused_port
from tests.conftest import HarnessRun
from tests.httpfakes import NGROK_EDGE, Canned, agent_tunnels, serve

INCIDENT_LOG = Path(__file__).parents[1] / "fixtures" / "logs" / "incident-messaging.log"


def _messages(run: HarnessRun, cause: str) -> list[str]:
    assert run.report is not None, run.output
    return [c["message"] for c in run.report["checks"] if c["cause"] == cause]


def _contract(tmp_path: Path, **changes: dict) -> str:
    """The default contract with some sections updated."""
    data = yaml.safe_load(DEFAULT_CONTRACT.read_text())
    for section, values in changes.items():
        data[section] = {**data.get(section, {}), **values}
    path = tmp_path / "contract.yaml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


def test_healthy_stack_passes_every_health_check(run_harness) -> None:
    run = run_harness("--suite", "health")
    assert run.code == 0, run.output
    outcomes = {c["id"].split("::")[-1]: c["outcome"] for c in run.report["checks"]}
    assert outcomes["test_aggregate_service[messaging]"] == "passed"
    assert outcomes["test_service_health_alias[messaging]"] == "passed"
    assert outcomes["test_service_map[gateway]"] == "passed"
    assert outcomes["test_health_document[gateway]"] == "passed"


@pytest.mark.parametrize(("fault", "causes"), [
    ("messaging-health-503", {"aggregate-unhealthy"}),
    ("port-mismatch", {"aggregate-unhealthy", "upstream-unreachable"}),
    ("stale-service-map", {"stale-config"}),
    ("slow-health", {"slow-response", "aggregate-unhealthy"}),
])
def test_fault_is_caught_and_named(run_harness, fault: str, causes: set[str]) -> None:
    run = run_harness("--fault", fault, "--suite", "health")
    assert run.code == 1, run.output
    assert run.report["verdict"] == "fail"
    assert causes & run.causes, run.failed


def test_unhealthy_service_carries_its_own_error_text(run_harness) -> None:
    run = run_harness("--fault", "messaging-health-503", "--suite", "health")
    assert any("messaging" in m and "Request failed with status code 503" in m
               for m in _messages(run, "aggregate-unhealthy")), run.failed


def test_stale_service_map_shows_expected_and_reported(run_harness) -> None:
    run = run_harness("--fault", "stale-service-map", "--suite", "health")
    [message] = _messages(run, "stale-config")
    assert "reported http://localhost:5005" in message and "expected http://127.0.0.1:" in message


def test_expect_service_option_sets_the_expected_map(run_harness) -> None:
    run = run_harness("--suite", "health", "--expect-service", "messaging=http://localhost:5005")
    assert run.code == 1, run.output
    [message] = _messages(run, "stale-config")
    assert "expected http://localhost:5005" in message


def test_slow_response_reports_the_measured_time(run_harness) -> None:
    run = run_harness("--fault", "slow-health", "--suite", "health")
    messages = _messages(run, "slow-response")
    assert any("answered in 1" in m and "over its budget of 1000 ms" in m for m in messages)


def test_latency_budget_is_per_route(run_harness, tmp_path: Path) -> None:
    contract = _contract(tmp_path, health={"route_budgets_ms": {
        "/api/health/aggregate": 5000, "/api/messaging/health": 5000}})
    run = run_harness("--fault", "slow-health", "--suite", "health", "--contract", contract)
    assert run.code == 1, run.output
    assert {i.split("::")[-1] for i in run.failed} == {"test_health_document[gateway]"}


def test_services_are_discovered_when_the_contract_names_none(run_harness, tmp_path) -> None:
    contract = _contract(tmp_path, health={"required_services": []})
    run = run_harness("--fault", "messaging-health-503", "--suite", "health",
                      "--contract", contract)
    assert any(i.endswith("test_aggregate_service[messaging]") for i in run.failed), run.output


@pytest.mark.parametrize(("code", "cause", "advice"), [
    ("8012", "ngrok-upstream-refused", "is the service on the port the tunnel forwards to?"),
    ("6024", "ngrok-browser-warning", "browser-warning page"),
])
def test_ngrok_edge_error_fails_with_its_cause(run_harness, code: str, cause: str,
                                               advice: str) -> None:
    with serve({}, default=NGROK_EDGE[code]) as edge:
        run = run_harness(edge, "--suite", "health", timeout=30)
    assert run.code == 1, run.output
    assert run.seconds < 20
    assert cause in run.causes, run.failed
    assert any(advice in m and f"ERR_NGROK_{code}" in m for m in _messages(run, cause))


def test_ngrok_endpoint_offline_is_an_error_with_a_next_step(run_harness) -> None:
    with serve({}, default=NGROK_EDGE["3200"]) as edge:
        run = run_harness(edge, "--suite", "health", timeout=30)
    assert run.code == 2, run.output
    assert run.seconds < 20
    assert "ngrok-tunnel-offline" in run.report["error"]
    assert "start the ngrok agent or use the current public URL" in run.stderr


def test_target_ngrok_takes_the_public_url_from_the_agent(run_harness, reference_stack) -> None:
    stack = reference_stack()
    with serve({"/api/tunnels": agent_tunnels((stack.url, stack.url))}) as agent:
        run = run_harness("ngrok", "--ngrok-api", agent, "--suite", "health")
    assert run.code == 0, run.output
    assert run.report["target"] == stack.url
    [tunnel] = [c for c in run.report["checks"] if "test_tunnel_upstream" in c["id"]]
    assert tunnel["outcome"] == "passed"


def test_tunnel_to_a_port_nobody_listens_on(run_harness, reference_stack) -> None:
    stack = reference_stack()
    dead = f"http://localhost:{unused_port()}"
    with serve({"/api/tunnels": agent_tunnels((stack.url, dead))}) as agent:
        run = run_harness(stack.url, "--ngrok-api", agent, "--suite", "health")
    assert run.code == 1, run.output
    [message] = _messages(run, "ngrok-upstream-refused")
    assert f"forwards to '{dead}'" in message and "nothing listens on localhost:" in message


def test_tunnel_to_the_wrong_port_names_the_expected_one(run_harness, reference_stack,
                                                         tmp_path: Path) -> None:
    stack = reference_stack()
    contract = _contract(tmp_path, ngrok={"expected_upstream_port": 5005})
    with serve({"/api/tunnels": agent_tunnels((stack.url, stack.url))}) as agent:
        run = run_harness(stack.url, "--ngrok-api", agent, "--suite", "health",
                          "--contract", contract)
    assert run.code == 1, run.output
    [message] = _messages(run, "ngrok-upstream-refused")
    assert "expected on port 5005" in message and "`ngrok http 5005`" in message


def test_target_ngrok_without_an_agent_is_a_configuration_error(run_harness) -> None:
    run = run_harness("ngrok", "--ngrok-api", f"http://127.0.0.1:{unused_port()}")
    assert run.code == 2
    assert "no ngrok agent answers" in run.stderr and "Traceback" not in run.output


def test_wait_until_healthy_waits_for_a_late_stack(run_harness) -> None:
    port = unused_port()
    stack = ReferenceStack(gateway_port=port)
    timer = threading.Timer(5.0, stack.start)
    timer.start()
    try:
        run = run_harness(f"http://127.0.0.1:{port}", "--wait-until-healthy", "20",
                          "--suite", "health", timeout=60)
    finally:
        timer.join()
        stack.stop()
    assert run.code == 0, run.output
    # the harness starts ~1 s after the timer (interpreter start), so it waits about 4 s
    assert 2.5 <= run.report["waited_s"] < 20
    assert "not healthy yet" in run.stderr and "target healthy after" in run.stderr


def test_wait_until_healthy_gives_up_with_the_last_evidence(run_harness) -> None:
    run = run_harness(f"http://127.0.0.1:{unused_port()}", "--wait-until-healthy", "3",
                      "--suite", "health", timeout=30)
    assert run.code == 2, run.output
    assert run.seconds < 15
    assert run.report["verdict"] == "error" and run.report["waited_s"] >= 3
    assert "did not become healthy within 3 s" in run.report["error"]
    assert "target-unreachable" in run.report["error"]


def test_wait_retries_503_until_the_deadline(run_harness) -> None:
    run = run_harness("--fault", "messaging-health-503", "--wait-until-healthy", "2",
                      "--suite", "health", timeout=30)
    assert run.code == 2, run.output
    assert "aggregate-unhealthy" in run.report["error"]
    assert "Request failed with status code 503" in run.report["error"]


def test_wait_does_not_retry_a_contract_failure(run_harness) -> None:
    with serve({}, default=Canned(404, '{"error":"Not found"}')) as gateway:
        run = run_harness(gateway, "--wait-until-healthy", "10", "--suite", "health",
                          timeout=30)
    assert run.code == 1, run.output
    assert run.report["waited_s"] < 1
    assert "health-down" in run.causes


def test_service_log_warnings_are_findings_with_their_lines(run_harness) -> None:
    run = run_harness("--suite", "health", "--service-log", str(INCIDENT_LOG))
    assert run.code == 1, run.output
    failed = {i.split("[")[-1].rstrip("]"): c for i, c in run.failed.items()
              if "test_service_log" in i}
    names = {"duplicate-schema-index", "deprecated-driver-option", "redis-fallback",
             "handle-upgrade-twice", "hpm-missing-target", "running-on-unexpected-port"}
    assert set(failed) == {f"incident-messaging.log-{name}" for name in names}
    assert set(failed.values()) == {"log-warning"}
    messages = " ".join(_messages(run, "log-warning"))
    assert "handleUpgrade() was called more than once" in messages
    assert "incident-messaging.log:6: '🚀 Messaging Service running on port 3005'" in messages
    assert "useNewUrlParser" in messages and "useUnifiedTopology" in messages


def test_clean_service_log_passes(run_harness, tmp_path: Path) -> None:
    log = tmp_path / "clean.log"
    log.write_text("Messaging Service running on port 5005\nMongoDB connected successfully\n")
    run = run_harness("--suite", "health", "--service-log", str(log),
                      "--expect-service", "messaging=http://localhost:5005")
    logs = [c for c in run.report["checks"] if "test_service_log" in c["id"]]
    assert len(logs) == 6 and all(c["outcome"] == "passed" for c in logs), logs


def test_missing_service_log_is_a_configuration_error(run_harness, tmp_path: Path) -> None:
    run = run_harness("--service-log", str(tmp_path / "nope.log"))
    assert run.code == 2
    assert "--service-log: no such file" in run.stderr

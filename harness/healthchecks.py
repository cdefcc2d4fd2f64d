"""Health-suite cases as data: routes with budgets, aggregate services, tunnels, log checks."""

from __future__ import annotations

from dataclasses import dataclass

from harness.checks import Case, health_probe
from harness.config import TargetConfig
from harness.healthdoc import aggregate_entries, url_port
from harness.logscan import LogCheck, log_checks
from harness.ngrok import NgrokAgentError, Tunnel, fetch_tunnels
from harness.probe import HttpProber, Probe


@dataclass(frozen=True, repr=False)
class RouteCase(Case):
    """One health route (the gateway's, the aggregate for one service, or an alias)."""

    name: str
    probe: Probe
    budget_ms: int

    @property
    def id(self) -> str:
        return self.name


def _case(target: TargetConfig, name: str, path: str) -> RouteCase:
    health = target.contract.health
    return RouteCase(name, Probe.build("GET", path), health.budget_ms(path))


def gateway_health_case(target: TargetConfig) -> RouteCase:
    health = target.contract.health
    return RouteCase("gateway", health_probe(target), health.budget_ms(health.route))


def aggregate_cases(target: TargetConfig, prober: HttpProber | None = None) -> list[RouteCase]:
    """One case per required service; with none required, the services the response lists."""
    health = target.contract.health
    if not health.aggregate:
        return []
    names = list(health.required_services)
    if not names and prober is not None:
        entries = aggregate_entries(prober.result(Probe.build("GET", health.aggregate)).json())
        names = sorted(entries or {})
    return [_case(target, name, health.aggregate) for name in names]


def alias_cases(target: TargetConfig) -> list[RouteCase]:
    return [_case(target, alias.name, alias.path) for alias in target.contract.health.aliases]


@dataclass(frozen=True, repr=False)
class TunnelCase(Case):
    """One tunnel of the local ngrok agent, or the agent's own problem when it has none."""

    tunnel: Tunnel | None
    problem: str = ""

    @property
    def id(self) -> str:
        return self.tunnel.id if self.tunnel else "agent"


def tunnel_cases(target: TargetConfig) -> list[TunnelCase]:
    """The agent's tunnels when an agent API is configured (--ngrok-api / --target-url ngrok)."""
    if not target.ngrok_api:
        return []
    try:
        tunnels = fetch_tunnels(target.ngrok_api, target.timeout_s)
    except NgrokAgentError as exc:
        return [TunnelCase(None, str(exc))]
    if not tunnels:
        return [TunnelCase(None, f"the ngrok agent at {target.ngrok_api} has no tunnel: start "
                                 "one with `ngrok http <port>`")]
    return [TunnelCase(tunnel) for tunnel in tunnels]


def service_log_checks(target: TargetConfig) -> list[LogCheck]:
    return log_checks(target.service_logs, target.contract.service_logs)


def expected_log_ports(target: TargetConfig) -> set[int]:
    """Ports a "running on port N" line may name: the contract's, else the expected services'."""
    rules = target.contract.service_logs
    if rules.expected_port is not None:
        return {rules.expected_port}
    ports = {url_port(url) for url in target.expected_services.values()}
    ports.add(target.contract.ngrok.expected_upstream_port)
    return {port for port in ports if port is not None}

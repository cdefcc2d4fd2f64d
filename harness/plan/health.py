"""The health part of a plan: one request per health route, shared by every health check."""

from __future__ import annotations

from harness.config import RunConfig
from harness.config.resolve import service_log
from harness.contract.paths import url_port
from harness.records.http import HttpRequest
from harness.records.keys import AGGREGATE, DOCUMENT, NGROK_SURVEY, PORT_CHECK
from harness.records.plan import Check, LogScan


def document_request(config: RunConfig) -> HttpRequest | None:
    health = config.contract.health
    if health is None or health.route is None:
        return None
    return HttpRequest(DOCUMENT, "GET", health.route, "health", label="the health document")


NO_HEALTH_ROUTE = "health-route"


def health_checks(config: RunConfig) -> tuple[list[Check], list[HttpRequest]]:
    health = config.contract.health
    document = document_request(config)
    if health is None or document is None:
        return [Check("gateway", "health-document", (), needs=(NO_HEALTH_ROUTE,),
                      priority=0, params={"budget_ms": 0}), *_beside_health(config)], []
    checks = [Check("gateway", "health-document", (DOCUMENT,), priority=0,
                    params={"budget_ms": health.budget_ms(health.route or "")})]
    requests = [document]
    if health.aggregate:
        requests.append(HttpRequest(AGGREGATE, "GET", health.aggregate, "health",
                                    label="aggregate health"))
        budget = health.budget_ms(health.aggregate)
        for name in health.required_services or ["*"]:
            checks.append(Check(name if name != "*" else "every-service", "aggregate",
                                (AGGREGATE,), priority=0,
                                params={"service": name, "budget_ms": budget}))
    for alias in health.aliases:
        key = f"health:alias:{alias.name}"
        requests.append(HttpRequest(key, "GET", alias.path, "health",
                                    label=f"{alias.name}'s own health"))
        checks.append(Check(alias.name, "alias", (key,), priority=1,
                            params={"service": alias.name,
                                    "budget_ms": health.budget_ms(alias.path)}))
    checks.append(Check("service-map", "service-map", (DOCUMENT,),
                        needs=("expected-services",), priority=2))
    return checks + _beside_health(config), requests


def _beside_health(config: RunConfig) -> list[Check]:
    """The service logs and the ngrok agent: checked with or without a health route."""
    checks: list[Check] = []
    if not config.service_logs:
        checks.append(Check("service-log", "service-log", (), needs=("service-log",),
                            priority=3))
    for scan in log_scans(config):
        source = scan.service or scan.path.rsplit('/', 1)[-1]
        checks.append(Check(f"{source}-{scan.signature}", "service-log",
                            (scan.key,), priority=3,
                            needs=("expected-port",) if scan.signature == PORT_CHECK else (),
                            params={"path": scan.path, "signature": scan.signature,
                                    "ports": scan.ports, "service": scan.service}))
    if config.ngrok_api:
        checks.append(Check("agent", "tunnel", (NGROK_SURVEY,), priority=1))
    return checks


def log_scans(config: RunConfig) -> list[LogScan]:
    """One scan per service log and signature, and one for the port it runs on."""
    ports = tuple(sorted(log_ports(config)))
    return [LogScan(f"log:{path}:{name}", path, name, ports if name == PORT_CHECK else (),
                    service)
            for service, path in map(service_log, config.service_logs)
            for name in [*(s.name for s in config.contract.service_logs.signatures),
                         *([] if _is_dependency(service, path) else [PORT_CHECK])]]


DEPENDENCIES = ("mongo", "mongodb", "redis", "postgres", "postgresql", "mysql", "mariadb",
                "rabbitmq", "kafka")


def _is_dependency(service: str, path: str) -> bool:
    """A database's, cache's or broker's own log: its port is its own, not the service's."""
    name = (service or path.rsplit("/", 1)[-1].split(".", 1)[0]).lower()
    return name in DEPENDENCIES


def log_ports(config: RunConfig) -> set[int]:
    """Ports a "running on port N" line may name: the contract's, else the expected services'
    and the ngrok upstream's; empty when the run knows none."""
    rules = config.contract.service_logs
    if rules.expected_port is not None:
        return {rules.expected_port}
    services = config.expected_services
    ports = {url_port(url) for url in services.values()} if isinstance(services, dict) else set()
    ports.add(config.contract.ngrok.expected_upstream_port)
    return {port for port in ports if port is not None}

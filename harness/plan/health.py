"""The health part of a plan: one request per health route, shared by every health check."""

from __future__ import annotations

from harness.config import RunConfig
from harness.contract.paths import url_port
from harness.probes.logscan import PORT_CHECK
from harness.records.http import HttpRequest
from harness.records.plan import Check, Family

DOCUMENT = "health:document"
AGGREGATE = "health:aggregate"


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
        return [Check("gateway", Family.HEALTH_DOCUMENT, (), needs=(NO_HEALTH_ROUTE,),
                      priority=0, params={"budget_ms": 0})], []
    checks = [Check("gateway", Family.HEALTH_DOCUMENT, (DOCUMENT,), priority=0,
                    params={"budget_ms": health.budget_ms(health.route or "")})]
    requests = [document]
    if health.aggregate:
        requests.append(HttpRequest(AGGREGATE, "GET", health.aggregate, "health",
                                    label="aggregate health"))
        budget = health.budget_ms(health.aggregate)
        for name in health.required_services or ["*"]:
            checks.append(Check(name if name != "*" else "every-service", Family.AGGREGATE,
                                (AGGREGATE,), priority=0,
                                params={"service": name, "budget_ms": budget}))
    for alias in health.aliases:
        key = f"health:alias:{alias.name}"
        requests.append(HttpRequest(key, "GET", alias.path, "health",
                                    label=f"{alias.name}'s own health"))
        checks.append(Check(alias.name, Family.ALIAS, (key,), priority=1,
                            params={"service": alias.name,
                                    "budget_ms": health.budget_ms(alias.path)}))
    checks.append(Check("service-map", Family.SERVICE_MAP, (DOCUMENT,),
                        needs=("expected-services",), priority=2))
    if not config.service_logs:
        checks.append(Check("service-log", Family.SERVICE_LOG, (), needs=("service-log",),
                            priority=3))
    for path in config.service_logs:
        for signature in [*config.contract.service_logs.signatures, None]:
            name = signature.name if signature else PORT_CHECK
            checks.append(Check(f"{path.rsplit('/', 1)[-1]}-{name}", Family.SERVICE_LOG, (),
                                needs=() if signature else ("expected-port",), priority=3,
                                params={"path": path, "signature": name}))
    if config.ngrok_api:
        checks.append(Check("agent", Family.TUNNEL, (), priority=1))
    return checks, requests


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

"""Diagnosis rules for health, config drift, ngrok tunnels and service logs (Diagnoser's mixin)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from harness.findings import Finding
from harness.healthdoc import aggregate_entries, entry_error, entry_ok, same_url, service_map
from harness.logscan import LogHit
from harness.ngrok import Tunnel
from harness.probe import ProbeResult

if TYPE_CHECKING:
    from harness.contract import Contract

LOG_LINES_SHOWN = 3


class HealthRules:
    """Rules that turn health documents, tunnels and log lines into findings."""

    contract: Contract

    if TYPE_CHECKING:
        def finding(self, code: str, message: str,
                    result: ProbeResult | None = None) -> Finding: ...
        def unexpected(self, result: ProbeResult, expected: str) -> Finding: ...
        def ngrok_code(self, result: ProbeResult) -> str | None: ...

    def aggregate_service(self, result: ProbeResult, name: str) -> Finding | None:
        """Aggregate health must list `name` as ok; not ok carries the service's own error."""
        path = result.probe.path
        entries = aggregate_entries(result.json())
        if self.ngrok_code(result) or result.error or entries is None:
            if result.status == 200 and not result.error and not self.ngrok_code(result):
                return self.finding("health-down", f"{path} answered 200 without a "
                                    "`services` map or list", result)
            return self.unexpected(result, "200 with the aggregate health document")
        entry = entries.get(name)
        if entry is None:
            return self.finding("aggregate-unhealthy", f"{path} does not list {name!r} "
                                f"(it lists {sorted(entries) or 'nothing'})", result)
        if entry_ok(entry, self.contract.health.status_values):
            return None
        error = entry_error(entry)
        proxy_errors = self.contract.error_signatures.proxy_error
        if any(sig.lower() in error.lower() for sig in proxy_errors):
            return self.finding("upstream-unreachable", f"{path}: the gateway cannot reach "
                                f"{name}: {error!r} (nothing listens where the gateway looks "
                                f"for {name}: compare its port with the service's)", result)
        return self.finding("aggregate-unhealthy", f"{path} reports {name} not ok: "
                            f"{error!r}", result)

    def service_health(self, result: ProbeResult, name: str) -> Finding | None:
        """A service's own health through the gateway (an alias): 200 with an ok status."""
        if result.status == 200 and isinstance(result.json(), dict):
            if entry_ok(result.json(), self.contract.health.status_values):
                return None
            return self.finding("aggregate-unhealthy", f"{result.probe.path} ({name}) reports "
                                f"not ok: {entry_error(result.json())!r}", result)
        body = result.json()
        finding = self.unexpected(result, f"200 with {name}'s own health")
        if finding.cause == "generic-503-leak" and isinstance(body, dict) and \
                ("status" in body or "ok" in body):
            return self.finding("aggregate-unhealthy", f"{result.probe.path} ({name}'s own "
                                f"health) answered {result.status}: {entry_error(body)!r}",
                                result)
        return finding

    def latency(self, result: ProbeResult, budget_ms: int) -> Finding | None:
        """A check that passed, but slower than its budget."""
        took_ms = result.elapsed_s * 1000
        if took_ms <= budget_ms:
            return None
        return self.finding("slow-response", f"{result.probe.request_line} answered in "
                            f"{took_ms:.0f} ms, over its budget of {budget_ms} ms", result)

    def stale_config(self, result: ProbeResult, expected: Mapping[str, str]) -> Finding | None:
        """The service map `/api/health` reports must match the expected one."""
        reported = service_map(result.json())
        if reported is None:
            return self.finding("stale-config", f"{result.probe.path} reports no service map; "
                                f"expected {dict(expected)}", result)
        drift = [f"{name}: expected {url}, reported {reported.get(name, 'nothing')}"
                 for name, url in sorted(expected.items())
                 if name not in reported or not same_url(url, reported[name])]
        if not drift:
            return None
        return self.finding("stale-config", f"{result.probe.path} reports a different service "
                            f"map ({'; '.join(drift)}): the gateway runs with an old config; "
                            "restart it or fix its environment", result)

    def tunnel_upstream(self, tunnel: Tunnel, listening: bool,
                        expected_port: int | None) -> Finding | None:
        """A tunnel must forward to a local port that listens and that the contract expects."""
        upstream = tunnel.upstream
        where = f"the ngrok tunnel {tunnel.public_url} forwards to {tunnel.addr!r}"
        if upstream is None:
            return self.finding("ngrok-upstream-refused", f"{where}, which names no port: "
                                "restart ngrok as `ngrok http <service port>`")
        host, port = upstream
        if expected_port is not None and port != expected_port:
            state = "listening" if listening else "where nothing listens"
            return self.finding("ngrok-upstream-refused", f"{where} (port {port}, {state}) but "
                                f"the service is expected on port {expected_port}: restart "
                                f"ngrok as `ngrok http {expected_port}`, or fix "
                                "ngrok.expected_upstream_port in the contract")
        if not listening:
            return self.finding("ngrok-upstream-refused", f"{where} but nothing listens on "
                                f"{host}:{port}: start the service on port {port}, or restart "
                                "ngrok with the port the service logs ('running on port N')")
        return None

    def log_warning(self, hits: Sequence[LogHit], meaning: str) -> Finding | None:
        """Known warning lines in a service log: one finding quoting the lines."""
        if not hits:
            return None
        shown = "; ".join(f"{hit.where}: {hit.line!r}" for hit in hits[:LOG_LINES_SHOWN])
        more = f" (+{len(hits) - LOG_LINES_SHOWN} more)" if len(hits) > LOG_LINES_SHOWN else ""
        return self.finding("log-warning", f"{meaning}: {shown}{more}")

"""Checks as data: each case names what it probes, built from the contract at collection time."""

from __future__ import annotations

from dataclasses import dataclass

from harness.config import TargetConfig
from harness.contract import Route
from harness.engineio import handshake_path
from harness.probe import Probe
from harness.tokens import TOKEN_VARIANTS, TokenVariant


class Case:
    """A parametrized check case; it shows as its id (in Allure's parameters, in reprs)."""

    @property
    def id(self) -> str:
        raise NotImplementedError

    def __repr__(self) -> str:
        return self.id


@dataclass(frozen=True, repr=False)
class AuthCase(Case):
    """A protected route called with one kind of bad credentials; must be rejected."""

    route: Route
    variant: TokenVariant
    probe: Probe | None

    @property
    def id(self) -> str:
        return f"{self.route.label}-{self.variant.name}"


def auth_cases(target: TargetConfig) -> list[AuthCase]:
    """Every protected route x every token variant (probe None when it cannot be built)."""
    auth = target.contract.auth
    cases = []
    for route in target.contract.protected_routes:
        for variant in TOKEN_VARIANTS:
            if variant.needs_secret and not target.jwt_secret:
                cases.append(AuthCase(route, variant, None))
                continue
            header = variant.header(auth.scheme, target.jwt_secret)
            headers = {"authorization": header} if header is not None else {}
            probe = Probe.build(route.method, route.path, headers=headers,
                                json_body=route.body if route.method != "GET" else None,
                                label=variant.description)
            cases.append(AuthCase(route, variant, probe))
    return cases


def health_probe(target: TargetConfig) -> Probe:
    """GET of the health document (the preflight, the health check and the version share it)."""
    return Probe.build("GET", target.contract.health.route)


def polling_handshake_probe(target: TargetConfig) -> Probe:
    return Probe.build("GET", handshake_path(target.contract.socketio.path),
                       label="Engine.IO polling handshake")

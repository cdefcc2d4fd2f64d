"""REST suite fixtures: probes that need the run's token, and the conversation the flow creates."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from harness.probe import HttpProber, Probe, ProbeResult
from harness.rest_checks import authorized, create_conversation_probe, smoke_tag
from harness.runtime import SmokeRuntime


def _token_requests(items: list[pytest.Item]) -> list[Probe]:
    """The token-less requests of the selected, not skipped, checks that need a token."""
    requests = []
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is None or item.get_closest_marker("skip"):
            continue
        requests += [value.request for value in callspec.params.values()
                     if getattr(value, "needs_token", False)]
    return requests


@pytest.fixture(scope="session")
def send_authorized(smoke: SmokeRuntime, prober: HttpProber, auth_token: str,
                    request: pytest.FixtureRequest) -> Callable[[Probe], ProbeResult]:
    """Sends a request with the run's token; on first use it sends every selected one at once."""
    scheme = smoke.config.contract.auth.scheme
    if smoke.concurrency > 1 and not hasattr(request.config, "workerinput"):
        prober.prefetch(authorized(probe, scheme, auth_token)
                        for probe in _token_requests(request.session.items))
    return lambda probe: prober.result(authorized(probe, scheme, auth_token))


@pytest.fixture(scope="session")
def created_conversation(smoke: SmokeRuntime, prober: HttpProber,
                         auth_token: str) -> ProbeResult:
    """The answer to creating one smoke-tagged conversation (sent once per run)."""
    contract = smoke.config.contract
    return prober.result(create_conversation_probe(contract, auth_token, smoke_tag(contract)))

"""What one run shares: the resolved target, the event loop, the HTTP prober, the diagnoser."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from harness.checks import health_probe
from harness.config import ConfigError, TargetConfig
from harness.diagnosis import Diagnoser
from harness.findings import ContractViolation, Finding
from harness.loop import LoopThread
from harness.probe import HttpProber, Probe
from harness.sanitize.redact import Redactor

if TYPE_CHECKING:
    from harness.stacks.compose import ComposeStack
    from harness.stacks.hermetic import HermeticStack
    from harness.stacks.reference.stack import ReferenceStack


EMBEDDED_ORIGIN = "http://localhost:3000"  # the browser app the embedded stack serves
DEFAULT_CONCURRENCY = 64
_handed_over: list[SmokeRuntime] = []


class SmokeRuntime:
    """Created once per pytest process; owns the embedded stack when no target URL is given."""

    def __init__(self, config: TargetConfig, concurrency: int = DEFAULT_CONCURRENCY) -> None:
        self.config = config
        self.concurrency = concurrency
        self.redactor = Redactor(config.secrets)
        self.diagnoser = Diagnoser(config.contract, self.redactor)
        self.stack: ReferenceStack | None = None
        self.containers: HermeticStack | ComposeStack | None = None
        self._loop: LoopThread | None = None
        self._prober: HttpProber | None = None

    def start_embedded_stack(self, faults: list[str] | None = None) -> None:
        """Start the reference stack and point the config at it (with its credentials)."""
        from harness.stacks.reference.stack import ReferenceStack  # heavy: only when it is used

        log_path = Path(tempfile.mkdtemp(prefix="smoke-stack-")) / "reference.log"
        self.stack = ReferenceStack(faults, log_path=log_path).start()
        settings = self.stack.settings
        self.use_target(replace(
            self.config,
            url=self.stack.url,
            credentials=replace(self.config.credentials, username=settings.username,
                                password=settings.password),
            jwt_secret=settings.jwt_secret,
            expected_services=self.config.expected_services or self.stack.expected_services,
            origin=self.config.origin or EMBEDDED_ORIGIN,
        ))

    def start_hermetic_stack(self, faults: list[str] | None = None,
                             say: Callable[[str], object] = print) -> None:
        """Start the platform in containers (harness.stacks.hermetic) and point the config at it."""
        from harness.stacks.hermetic import HermeticStack

        self.containers = stack = HermeticStack(faults, say=say)
        self.redactor.add(stack.secrets.password)
        self.redactor.add(stack.secrets.jwt_secret)
        stack.start()
        self.use_target(replace(
            self.config, url=stack.url, jwt_secret=stack.secrets.jwt_secret,
            credentials=replace(self.config.credentials, token=None,
                                username=stack.secrets.username,
                                password=stack.secrets.password),
            expected_services=self.config.expected_services or stack.expected_services,
            origin=self.config.origin or EMBEDDED_ORIGIN,
            service_logs=(*self.config.service_logs, *stack.log_files),
        ))

    def start_compose_stack(self, compose_file: str, service: str, port: int,
                            say: Callable[[str], object] = print) -> None:
        """Bring up a user's compose project and point the config at its gateway service."""
        from harness.stacks.compose import ComposeStack

        self.containers = ComposeStack(compose_file, service, port, say=say)
        self.use_target(replace(self.config, url=self.containers.start().url))

    def use_target(self, config: TargetConfig) -> None:
        self.config = config
        for secret in config.secrets:
            self.redactor.add(secret)

    @property
    def loop(self) -> LoopThread:
        if self._loop is None:
            self._loop = LoopThread()
        return self._loop

    @property
    def prober(self) -> HttpProber:
        if self._prober is None:
            assert self.config.url, "the target URL is resolved before probes are sent"
            self._prober = HttpProber(self.config.url, timeout_s=self.config.timeout_s,
                                      loop=self.loop, concurrency=self.concurrency)
        return self._prober

    @property
    def requests_sent(self) -> int:
        return self._prober.requests_sent if self._prober else 0

    def preflight_probe(self) -> Probe:
        """The health document request: the health suite's check reuses its answer."""
        return health_probe(self.config)

    def preflight(self) -> Finding | None:
        """One request to the health route: a transport error or ngrok outage ends the run."""
        result = self.prober.result(self.preflight_probe())
        if result.error:
            reason = {"connect": "connection failed", "no-response": "no answer within "
                      f"{self.config.timeout_s:g} s", "protocol": "the answer is not HTTP"}
            return self.diagnoser.finding(
                "target-unreachable",
                f"{self.config.url} is unreachable: {reason.get(result.error, result.error)}",
                result)
        if self.diagnoser.ngrok_code(result) == "3200":
            return self.diagnoser.unexpected(result, "any answer from the gateway")
        return None

    def login_probe(self) -> Probe | None:
        """The login request (memoised, so it can be sent early), None without one to send."""
        credentials, login = self.config.credentials, self.config.contract.auth.login
        if credentials.token or not credentials.can_login or login is None:
            return None
        return Probe.build(login.method, login.path, label="login", json_body={
            login.username_field: credentials.username,
            login.password_field: credentials.password,
        })

    def login(self) -> str | None:
        """A valid bearer token: the configured one, or one from the contract's login route.

        None when no credentials are configured. Refused credentials are a ConfigError; any
        other failed login is a ContractViolation.
        """
        credentials = self.config.credentials
        if credentials.token:
            return credentials.token
        probe, login = self.login_probe(), self.config.contract.auth.login
        if probe is None or login is None:
            return None
        result = self.prober.result(probe)
        body = result.json()
        token = body.get(login.token_field) if isinstance(body, dict) else None
        if result.status == 200 and isinstance(token, str) and token:
            self.redactor.add(token)
            return token
        if result.status in (400, 401, 403):
            raise ConfigError(f"{login.method} {login.path} refused the configured credentials "
                              f"({result.status}): check SMOKE_USERNAME / SMOKE_PASSWORD")
        raise ContractViolation(self.diagnoser.unexpected(
            result, f"200 with a '{login.token_field}'"))

    def target_version(self) -> str | None:
        """The version the gateway's health document reports (memoised probe), if any."""
        if not self.config.url:
            return None
        body = self.prober.result(health_probe(self.config)).json()
        version = body.get("version") if isinstance(body, dict) else None
        return str(version) if version is not None else None

    def close(self) -> None:
        if self._prober is not None:
            self._prober.close()
        if self._loop is not None:
            self._loop.close()
        if self.stack is not None:
            self.stack.stop()
        if self.containers is not None:
            self.containers.stop()


def concurrency_for(sequential: bool, concurrency: int | None) -> int:
    return 1 if sequential else max(1, concurrency or DEFAULT_CONCURRENCY)


def hand_over(runtime: SmokeRuntime) -> None:
    """Offer a runtime with probes already in flight (the CLI's) to the plugin in this process."""
    _handed_over.append(runtime)


def adopt(config: TargetConfig, concurrency: int) -> SmokeRuntime:
    """The runtime handed over for this target and concurrency, else a new one.

    The CLI sends its preflight and the login before pytest has started; adopting its runtime
    keeps those answers and connections instead of sending them again.
    """
    while _handed_over:
        runtime = _handed_over.pop()
        if runtime.config.url == config.url and runtime.concurrency == concurrency:
            runtime.use_target(config)
            return runtime
    return SmokeRuntime(config, concurrency=concurrency)


"""pytest plugin: smoke options, the shared runtime and fixtures, cause-aware reporting."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any, NoReturn

import pytest

from harness.allure_support import label_check, results_dir, write_environment
from harness.config import ConfigError, Credentials, TargetConfig, resolve
from harness.contract import Contract, ContractError
from harness.diagnosis import Diagnoser
from harness.findings import ContractViolation, NotAContractFailure
from harness.probe import HttpProber, Probe
from harness.report import CheckRecord, RunReport, suite_of, verdict_of
from harness.runtime import DEFAULT_CONCURRENCY, SmokeRuntime, adopt, concurrency_for
from harness.signoff import SignoffContext, write_signoff
from harness.summary import render_summary
from harness.wait import wait_until_healthy

RUNTIME = pytest.StashKey[SmokeRuntime]()
RECORDS = pytest.StashKey[dict[str, CheckRecord]]()
REPORT = pytest.StashKey[RunReport]()
WORKER_KEY = "smoke_target"
CHECK_PROPERTY = "smoke-check"
CHECK_FIXTURES = frozenset({"smoke", "target", "contract", "diagnoser", "prober", "auth_token"})


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("smoke", "smoke harness (target and contract)")
    group.addoption("--target-url", dest="target_url", metavar="URL",
                    help="base URL of the gateway (default: $SMOKE_TARGET_URL, else the "
                         "embedded reference stack)")
    group.addoption("--contract", dest="contract", metavar="FILE",
                    help="contract YAML (default: $SMOKE_CONTRACT, else the bundled one)")
    group.addoption("--expect-service", dest="expect_service", action="append", default=[],
                    metavar="NAME=URL", help="service map /api/health must report (repeatable)")
    group.addoption("--origin", dest="origin", metavar="ORIGIN",
                    help="browser origin the Socket.IO server must allow (CORS)")
    group.addoption("--smoke-timeout", dest="timeout", type=float, metavar="SECONDS",
                    help="timeout of each network operation (default: contract, 5 s)")
    group.addoption("--read-only", dest="read_only", action="store_true",
                    help="skip checks that create data on the target")
    group.addoption("--report-json", dest="report_json", metavar="PATH",
                    help="write the machine-readable report here")
    group.addoption("--signoff-report", dest="signoff_report", metavar="PATH",
                    help="write the release sign-off page here (HTML; Markdown for *.md)")
    group.addoption("--sequential", dest="sequential", action="store_true",
                    help="send one probe at a time (for fragile targets and comparison)")
    group.addoption("--concurrency", dest="concurrency", type=int,
                    default=DEFAULT_CONCURRENCY, metavar="N",
                    help="probes in flight at once (default 64: one wave for the default "
                         "contract)")
    group.addoption("--skip-preflight", dest="skip_preflight", action="store_true",
                    help="do not probe the target before the run (the CLI already did)")
    group.addoption("--ngrok-api", dest="ngrok_api", metavar="URL",
                    help="local ngrok agent API: check each tunnel's upstream port (default "
                         "http://127.0.0.1:4040 with --target-url ngrok)")
    group.addoption("--wait-until-healthy", dest="wait_until_healthy", type=float,
                    metavar="SECONDS", help="poll health until green before the run (retries "
                    "only transport errors and 502/503/504); timeout: exit 2")
    group.addoption("--service-log", dest="service_log", action="append", default=[],
                    metavar="FILE", help="scan a service log for known warnings (repeatable)")
    group.addoption("--fault", dest="faults", action="append", default=[], metavar="NAME",
                    help="embedded or --hermetic stack: switch on a named fault (repeatable)")
    group.addoption("--hermetic", dest="hermetic", action="store_true",
                    help="run against the platform started in throwaway Docker containers")
    group.addoption("--compose-file", dest="compose_file", metavar="FILE",
                    help="bring up this compose project and test its --compose-gateway service")
    group.addoption("--compose-gateway", dest="compose_gateway", metavar="SERVICE",
                    help="the gateway service of --compose-file")
    group.addoption("--compose-port", dest="compose_port", type=int, default=8080,
                    metavar="PORT", help="the gateway's port inside its container (8080)")


def runtime_of(config: pytest.Config) -> SmokeRuntime:
    """The runtime this pytest process shares (for pytest_generate_tests in suites)."""
    return config.stash[RUNTIME]


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def pytest_configure(config: pytest.Config) -> None:
    for marker in ("writes: creates data on the target (skipped with --read-only)",
                   "docker: needs a Docker engine"):
        config.addinivalue_line("markers", marker)
    options = {key: config.getoption(key) for key in (
        "target_url", "contract", "expect_service", "origin", "timeout", "read_only",
        "ngrok_api", "service_log")}
    try:
        target = resolve(options)
    except (ConfigError, ContractError) as exc:
        pytest.exit(f"configuration error: {exc}", returncode=2)
    runtime = adopt(target, concurrency_for(config.getoption("sequential"),
                                            config.getoption("concurrency")))
    if _is_worker(config) and WORKER_KEY in config.workerinput:  # type: ignore[attr-defined]
        runtime.use_target(_target_from_controller(target, config.workerinput[WORKER_KEY]))  # type: ignore[attr-defined]
    config.stash[RUNTIME] = runtime
    config.stash[RECORDS] = {}
    config.stash[REPORT] = RunReport(target=target.url or "embedded", started_at=RunReport.now())
    if not _is_worker(config):
        config.pluginmanager.register(SmokeReporter(config), "smoke-reporter")


def _target_from_controller(target: TargetConfig, shared: dict[str, Any]) -> TargetConfig:
    return replace(target, url=shared["url"], jwt_secret=shared["jwt_secret"],
                   credentials=Credentials(**shared["credentials"]),
                   expected_services=shared["expected_services"], origin=shared["origin"],
                   service_logs=tuple(shared["service_logs"]))


def pytest_sessionstart(session: pytest.Session) -> None:
    config = session.config
    if _is_worker(config):
        return
    runtime = runtime_of(config)
    report = config.stash[REPORT]
    report.started_at = RunReport.now()
    config.stash[REPORT].duration_s = -time.perf_counter()
    containers = _start_containers(config, runtime)
    embedded = containers or runtime.config.url is None
    if embedded and not containers:
        runtime.start_embedded_stack(config.getoption("faults") or None)
        report.target = f"{runtime.config.url} (embedded reference stack)"
    finding = None
    if config.getoption("wait_until_healthy") is not None:
        waited = wait_until_healthy(runtime, config.getoption("wait_until_healthy"))
        report.waited_s, finding = waited.waited_s, waited.finding
    if finding is None and not embedded and not config.getoption("skip_preflight"):
        finding = runtime.preflight()
    if finding is not None:
        _abort(config, runtime, f"[{finding.cause}] {finding.message}", finding.render())


def _abort(config: pytest.Config, runtime: SmokeRuntime, error: str, shown: str) -> NoReturn:
    """Exit 2 before any check ran; the JSON report (verdict error) says why."""
    report = config.stash[REPORT]
    report.verdict, report.error = "error", error
    report.duration_s += time.perf_counter()
    if config.getoption("report_json"):
        report.write(config.getoption("report_json"), [], runtime.redactor)
    pytest.exit(f"{shown}\nverdict: ERROR (exit 2)", returncode=2)


def _start_containers(config: pytest.Config, runtime: SmokeRuntime) -> bool:
    """--hermetic / --compose-file: start the platform in containers (once, in the controller)."""
    hermetic, compose = config.getoption("hermetic"), config.getoption("compose_file")
    if not (hermetic or compose):
        return False
    from harness.stacks.docker import HermeticError

    terminal = config.pluginmanager.get_plugin("terminalreporter")
    say = terminal.write_line if terminal is not None else print
    report = config.stash[REPORT]
    try:
        if (hermetic and compose) or config.getoption("target_url"):
            raise HermeticError("use one of --hermetic, --compose-file, --target-url")
        if compose:
            if not config.getoption("compose_gateway"):
                raise HermeticError("--compose-file needs --compose-gateway SERVICE")
            runtime.start_compose_stack(compose, config.getoption("compose_gateway"),
                                        config.getoption("compose_port"), say=say)
        else:
            runtime.start_hermetic_stack(config.getoption("faults") or None, say=say)
    except HermeticError as exc:
        message = runtime.redactor.text(f"containers did not start: {exc}")
        report.notes = list(runtime.containers.notes) if runtime.containers else []
        _abort(config, runtime, message, message)
    report.target = f"{runtime.config.url} ({'compose' if compose else 'hermetic'} containers)"
    report.notes = list(runtime.containers.notes) if runtime.containers else []
    return True


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist controller: every worker tests the one target (or embedded stack) started here."""
    target = runtime_of(node.config).config
    node.workerinput[WORKER_KEY] = {
        "url": target.url, "jwt_secret": target.jwt_secret,
        "credentials": {"token": target.credentials.token,
                        "username": target.credentials.username,
                        "password": target.credentials.password},
        "expected_services": dict(target.expected_services), "origin": target.origin,
        "service_logs": list(target.service_logs),
    }


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.getoption("read_only"):
        return
    skip = pytest.mark.skip(reason="--read-only: this check creates data on the target")
    for item in items:
        if item.get_closest_marker("writes"):
            item.add_marker(skip)


def is_check(item: pytest.Item) -> bool:
    """A contract check is a test that uses this plugin's fixtures (not look-alikes of its own)."""
    info = getattr(item, "_fixtureinfo", None)  # pytest's resolved fixtures for the item
    closure = getattr(info, "name2fixturedefs", {})
    return any(defs and defs[-1].func.__module__ == __name__
               for name, defs in closure.items() if name in CHECK_FIXTURES)


@pytest.hookimpl(hookwrapper=True, trylast=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Failures carry their cause; every text a report shows passes through the redactor.

    trylast: this wrapper sits inside allure's, so allure records the redacted report.
    """
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    runtime = runtime_of(item.config)
    error = call.excinfo.value if call.excinfo is not None else None
    finding = error.finding if isinstance(error, (ContractViolation,
                                                  NotAContractFailure)) else None
    if is_check(item):
        report.user_properties = [*report.user_properties, (CHECK_PROPERTY, "1")]
        if results_dir(item.config) and (report.when == "call" or report.failed):
            label_check(item, runtime.config.contract.name, suite_of(item.nodeid), finding)
    if error is None:
        return
    if finding is not None:
        report.user_properties = [*report.user_properties, ("cause", finding.cause),
                                  ("message", f"{finding.message} | {finding.evidence}")]
        if isinstance(error, NotAContractFailure):
            report.outcome = "skipped"
            report.longrepr = (str(item.path), item.location[1] or 0,
                               f"Skipped: {runtime.redactor.text(finding.render())}")
            return
        report.longrepr = runtime.redactor.text(finding.render())
    elif report.longrepr is not None and not report.skipped:
        report.longrepr = runtime.redactor.text(str(report.longrepr))


class SmokeReporter:
    """Collects every check's outcome and cause; writes the JSON report and the summary."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.records: dict[str, CheckRecord] = config.stash[RECORDS]

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if CHECK_PROPERTY not in dict(report.user_properties):
            return
        record = self.records.setdefault(
            report.nodeid, CheckRecord(report.nodeid, suite_of(report.nodeid), "passed"))
        if report.when == "call":
            record.outcome = report.outcome
            record.duration_s = round(report.duration, 3)
        elif report.failed:
            record.outcome = "error"
        elif report.skipped:
            record.outcome = "skipped"
        if report.failed or report.skipped:
            props = dict(report.user_properties)
            record.cause = props.get("cause", record.cause)
            record.message = props.get("message") or _first_line(report)

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        output = getattr(node, "workeroutput", {}) or {}
        self.config.stash[REPORT].requests_sent += int(output.get("smoke_requests", 0))

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        runtime = runtime_of(self.config)
        report = self.config.stash[REPORT]
        report.duration_s += time.perf_counter()
        report.requests_sent += runtime.requests_sent
        report.verdict = verdict_of(self.records.values())
        if runtime.containers is not None:
            report.containers = [log.document(runtime.redactor)
                                 for log in runtime.containers.collect_logs()]
        if self.config.getoption("report_json"):
            report.write(self.config.getoption("report_json"), self.records.values(),
                         runtime.redactor)
        self._write_human_reports(runtime, report)

    def _write_human_reports(self, runtime: SmokeRuntime, report: RunReport) -> None:
        signoff, alluredir = self.config.getoption("signoff_report"), results_dir(self.config)
        if not (signoff or alluredir):
            return
        contract = runtime.config.contract
        version = runtime.target_version()
        if signoff:
            write_signoff(signoff, SignoffContext(
                report, list(self.records.values()),
                f"{contract.name} ({runtime.config.contract_path.name})", version),
                runtime.redactor)
        if alluredir:
            write_environment(alluredir, {
                "target": runtime.redactor.text(report.target), "version": version or "unknown",
                "contract": contract.name, "verdict": report.verdict,
            })

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        records = list(self.records.values())
        if not records:
            return
        text = render_summary(self.config.stash[REPORT], records)
        terminalreporter.write_sep("=", "smoke verdict")
        for line in runtime_of(self.config).redactor.text(text).splitlines():
            terminalreporter.write_line(line)


def _first_line(report: pytest.TestReport) -> str:
    if report.skipped and isinstance(report.longrepr, tuple):
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(report.longrepr or "")
    return text.strip().splitlines()[-1][:300] if text.strip() else ""


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if _is_worker(config):
        config.workeroutput["smoke_requests"] = runtime_of(config).requests_sent  # type: ignore[attr-defined]


def pytest_unconfigure(config: pytest.Config) -> None:
    if RUNTIME in config.stash:
        runtime_of(config).close()


@pytest.fixture(scope="session")
def smoke(pytestconfig: pytest.Config) -> SmokeRuntime:
    """The run's shared runtime: resolved target, prober, diagnoser, embedded stack."""
    return runtime_of(pytestconfig)


@pytest.fixture(scope="session")
def target(smoke: SmokeRuntime) -> TargetConfig:
    return smoke.config


@pytest.fixture(scope="session")
def contract(smoke: SmokeRuntime) -> Contract:
    return smoke.config.contract


@pytest.fixture(scope="session")
def diagnoser(smoke: SmokeRuntime) -> Diagnoser:
    return smoke.diagnoser


@pytest.fixture(scope="session")
def prober(smoke: SmokeRuntime, request: pytest.FixtureRequest) -> HttpProber:
    """The run's HTTP prober; on first use it sends every selected check's probe at once."""
    if smoke.concurrency > 1 and not _is_worker(request.config):
        smoke.prober.prefetch(_selected_probes(request.session.items))
        login = smoke.login_probe()
        if login is not None and any("auth_token" in getattr(item, "fixturenames", ())
                                     for item in request.session.items):
            smoke.prober.fetch(login)
    return smoke.prober


def _selected_probes(items: list[pytest.Item]) -> list[Probe]:
    probes = []
    for item in items:
        callspec = getattr(item, "callspec", None)
        for value in (callspec.params.values() if callspec else ()):
            probe = value if isinstance(value, Probe) else getattr(value, "probe", None)
            if isinstance(probe, Probe):
                probes.append(probe)
    return probes


@pytest.fixture(scope="session")
def auth_token(smoke: SmokeRuntime) -> str:
    """A valid token: $SMOKE_TOKEN, or a login with $SMOKE_USERNAME/$SMOKE_PASSWORD."""
    try:
        token = smoke.login()
    except ConfigError as exc:
        pytest.exit(f"configuration error: {exc}", returncode=2)
    if token is None:
        pytest.skip("no credentials: set SMOKE_TOKEN, or SMOKE_USERNAME and SMOKE_PASSWORD")
    return token

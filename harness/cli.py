"""`python -m harness [URL] [options] [-- pytest args]`: run the suites, print a verdict."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import suites
from harness.config import ConfigError, resolve
from harness.contract import ContractError
from harness.findings import Finding
from harness.report import RunReport
from harness.runtime import SmokeRuntime, concurrency_for, hand_over
from harness.stacks.reference.faults import FAULTS

SUITES_DIR = Path(suites.__file__).parent
SUITE_NAMES = ("rest", "socket", "health")
PYTEST_EXIT_TO_VERDICT_EXIT = {0: 0, 1: 1}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m harness",
        description="Check a gateway + Socket.IO messaging platform against its contract. "
                    "Without a URL, runs against the embedded reference stack.",
        epilog="Exit codes: 0 pass, 1 a contract failed, 2 target unreachable or bad "
               "configuration. Arguments after -- go to pytest (e.g. -- -n 2 -k health).",
    )
    parser.add_argument("url", nargs="?", help="target base URL (default: $SMOKE_TARGET_URL, "
                        "else the embedded reference stack)")
    parser.add_argument("--contract", metavar="FILE", help="contract YAML file")
    parser.add_argument("--expect-service", action="append", default=[], metavar="NAME=URL",
                        help="service map /api/health must report (repeatable)")
    parser.add_argument("--origin", help="browser origin the Socket.IO server must allow")
    parser.add_argument("--timeout", type=float, metavar="SECONDS",
                        help="timeout of each network operation")
    parser.add_argument("--report-json", metavar="PATH", help="write the JSON report here")
    parser.add_argument("--signoff-report", metavar="PATH",
                        help="write the release sign-off page (HTML; Markdown for *.md)")
    parser.add_argument("--junitxml", metavar="PATH", help="write JUnit XML for CI")
    parser.add_argument("--alluredir", metavar="DIR", help="write Allure results")
    parser.add_argument("--read-only", action="store_true",
                        help="skip checks that create data on the target")
    parser.add_argument("--sequential", action="store_true", help="one probe at a time")
    parser.add_argument("--concurrency", type=int, metavar="N", help="probes in flight at once")
    parser.add_argument("--suite", action="append", choices=SUITE_NAMES, default=[],
                        help="run only this suite (repeatable)")
    parser.add_argument("--ngrok-api", metavar="URL", help="local ngrok agent API; the URL "
                        "`ngrok` takes the target from it (default http://127.0.0.1:4040)")
    parser.add_argument("--wait-until-healthy", type=float, metavar="SECONDS",
                        help="poll health until green before the run; timeout: exit 2")
    parser.add_argument("--service-log", action="append", default=[], metavar="FILE",
                        help="scan a service log for known warnings (repeatable)")
    parser.add_argument("--fault", action="append", default=[], choices=sorted(FAULTS),
                        metavar="NAME", help="embedded or --hermetic stack: switch on a fault "
                        f"(repeatable): {', '.join(sorted(FAULTS))}")
    containers = parser.add_argument_group("containers (a Docker engine is needed)")
    containers.add_argument("--hermetic", action="store_true",
                            help="start MongoDB, Redis, messaging and gateway in throwaway "
                                 "containers, test them, remove them")
    containers.add_argument("--compose-file", metavar="FILE",
                            help="bring up this compose project (docker compose v2) instead")
    containers.add_argument("--compose-gateway", metavar="SERVICE",
                            help="the gateway service of --compose-file")
    containers.add_argument("--compose-port", type=int, metavar="PORT",
                            help="the gateway's port inside its container (default 8080)")
    return parser


XDIST_FLAGS = ("-n", "--numprocesses", "--dist", "-d", "--tx", "--maxprocesses")


def unused_plugin_switches(options: argparse.Namespace, passthrough: Sequence[str]) -> list[str]:
    """Skip loading xdist and allure-pytest (~0.3 s of start-up) when the run does not use them."""
    def wants(flags: Sequence[str]) -> bool:
        names = {arg.split("=", 1)[0] for arg in passthrough}
        short_n = any(arg.startswith("-n") for arg in passthrough)  # -n2, -nauto
        return bool(names & set(flags)) or ("-n" in flags and short_n)

    switches = []
    if not wants(XDIST_FLAGS):
        switches += ["-p", "no:xdist", "-p", "no:xdist.looponfail"]
    if not options.alluredir and not wants(("--alluredir",)):
        switches += ["-p", "no:allure_pytest"]
    return switches


def pytest_args(options: argparse.Namespace, passthrough: Sequence[str]) -> list[str]:
    """The pytest command line equivalent to the CLI options."""
    paths = [str(SUITES_DIR / name) for name in (options.suite or SUITE_NAMES)]
    args = [*paths, "-p", "harness.plugin", "-q", "--no-header", "--tb=no", "-rN",
            "--assert=plain",  # checks fail with findings, not bare asserts: ~0.4 s faster start
            "-p", "no:cacheprovider", f"--rootdir={SUITES_DIR.parent}",
            *unused_plugin_switches(options, passthrough)]
    if options.wait_until_healthy is None:
        args.append("--skip-preflight")
    if options.url:
        args.append(f"--target-url={options.url}")
    for flag, value in (("--contract", options.contract), ("--origin", options.origin),
                        ("--smoke-timeout", options.timeout),
                        ("--report-json", options.report_json),
                        ("--concurrency", options.concurrency),
                        ("--ngrok-api", options.ngrok_api),
                        ("--wait-until-healthy", options.wait_until_healthy),
                        ("--compose-file", options.compose_file),
                        ("--compose-gateway", options.compose_gateway),
                        ("--compose-port", options.compose_port),
                        ("--signoff-report", options.signoff_report),
                        ("--junitxml", options.junitxml), ("--alluredir", options.alluredir)):
        if value is not None:
            args.append(f"{flag}={value}")
    args += [f"--expect-service={pair}" for pair in options.expect_service]
    args += [f"--fault={name}" for name in options.fault]
    args += [f"--service-log={path}" for path in options.service_log]
    args += [flag for flag, on in (("--read-only", options.read_only),
                                   ("--sequential", options.sequential),
                                   ("--hermetic", options.hermetic)) if on]
    return [*args, *passthrough]


def _fail(message: str, report_path: str | None, target: str, code: int = 2) -> int:
    print(f"smoke-harness: {message}", file=sys.stderr)
    print("verdict: ERROR (exit 2)", file=sys.stderr)
    if report_path:
        from harness.sanitize.redact import Redactor

        report = RunReport(target=target, started_at=RunReport.now(), verdict="error",
                           error=message)
        report.write(report_path, [], Redactor())
    return code


def _preflight(runtime: SmokeRuntime, send_login_early: bool) -> Finding | None:
    """The preflight (and the login, which needs no answer yet) while imports warm up."""
    runtime.prober.fetch(runtime.preflight_probe())
    login = runtime.login_probe() if send_login_early else None
    if login is not None:
        runtime.prober.fetch(login)
    _warm_imports()
    return runtime.preflight()


def _warm_imports() -> None:
    """Import what the suites will need anyway (pytest, the plugin, the Socket.IO client)."""
    import pytest  # noqa: F401
    import socketio  # noqa: F401

    import harness.plugin  # noqa: F401


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    passthrough: list[str] = []
    if "--" in argv:
        split = argv.index("--")
        argv, passthrough = argv[:split], argv[split + 1:]
    options = build_parser().parse_args(argv)
    url = options.url or os.environ.get("SMOKE_TARGET_URL")
    containers = options.hermetic or options.compose_file
    if containers and (options.url or (options.hermetic and options.compose_file)):
        return _fail("configuration error: use one of --hermetic, --compose-file, a target URL",
                     options.report_json, url or "hermetic")
    try:
        config = resolve({"target_url": url, "contract": options.contract,
                          "expect_service": options.expect_service, "origin": options.origin,
                          "timeout": options.timeout, "ngrok_api": options.ngrok_api,
                          "service_log": options.service_log})
    except (ConfigError, ContractError) as exc:
        return _fail(f"configuration error: {exc}", options.report_json, url or "embedded")
    options.url, options.ngrok_api = None if containers else config.url, config.ngrok_api
    runtime = None
    if options.url and options.wait_until_healthy is None:
        runtime = SmokeRuntime(config, concurrency_for(options.sequential, options.concurrency))
        needs_login = not options.suite or {"rest", "socket"} & set(options.suite)
        finding = _preflight(runtime, send_login_early=needs_login and not options.sequential)
        if finding is not None:
            runtime.close()
            return _fail(finding.render(), options.report_json, config.url)
        hand_over(runtime)

    import pytest

    try:
        code = int(pytest.main(pytest_args(options, passthrough)))
    finally:
        if runtime is not None:
            runtime.close()
    return PYTEST_EXIT_TO_VERDICT_EXIT.get(code, 2)


if __name__ == "__main__":
    raise SystemExit(main())

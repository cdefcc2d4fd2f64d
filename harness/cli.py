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
from harness.reference.faults import FAULTS
from harness.report import RunReport
from harness.runtime import SmokeRuntime

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
    parser.add_argument("--read-only", action="store_true",
                        help="skip checks that create data on the target")
    parser.add_argument("--sequential", action="store_true", help="one probe at a time")
    parser.add_argument("--concurrency", type=int, metavar="N", help="probes in flight at once")
    parser.add_argument("--suite", action="append", choices=SUITE_NAMES, default=[],
                        help="run only this suite (repeatable)")
    parser.add_argument("--fault", action="append", default=[], choices=sorted(FAULTS),
                        metavar="NAME", help="embedded stack only: switch on a fault "
                        f"(repeatable): {', '.join(sorted(FAULTS))}")
    return parser


def pytest_args(options: argparse.Namespace, passthrough: Sequence[str]) -> list[str]:
    """The pytest command line equivalent to the CLI options."""
    paths = [str(SUITES_DIR / name) for name in (options.suite or SUITE_NAMES)]
    args = [*paths, "-p", "harness.plugin", "-q", "--no-header", "--tb=no", "-rN",
            "-W", "ignore::pytest.PytestAssertRewriteWarning",
            "-p", "no:cacheprovider", f"--rootdir={SUITES_DIR.parent}", "--skip-preflight"]
    if options.url:
        args.append(f"--target-url={options.url}")
    for flag, value in (("--contract", options.contract), ("--origin", options.origin),
                        ("--smoke-timeout", options.timeout),
                        ("--report-json", options.report_json),
                        ("--concurrency", options.concurrency)):
        if value is not None:
            args.append(f"{flag}={value}")
    args += [f"--expect-service={pair}" for pair in options.expect_service]
    args += [f"--fault={name}" for name in options.fault]
    args += [flag for flag, on in (("--read-only", options.read_only),
                                   ("--sequential", options.sequential)) if on]
    return [*args, *passthrough]


def _fail(message: str, report_path: str | None, target: str, code: int = 2) -> int:
    print(f"smoke-harness: {message}", file=sys.stderr)
    print("verdict: ERROR (exit 2)", file=sys.stderr)
    if report_path:
        from harness.redact import Redactor

        report = RunReport(target=target, started_at=RunReport.now(), verdict="error",
                           error=message)
        report.write(report_path, [], Redactor())
    return code


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    passthrough: list[str] = []
    if "--" in argv:
        split = argv.index("--")
        argv, passthrough = argv[:split], argv[split + 1:]
    options = build_parser().parse_args(argv)
    url = options.url or os.environ.get("SMOKE_TARGET_URL")
    try:
        config = resolve({"target_url": url, "contract": options.contract,
                          "expect_service": options.expect_service, "origin": options.origin,
                          "timeout": options.timeout})
    except (ConfigError, ContractError) as exc:
        return _fail(f"configuration error: {exc}", options.report_json, url or "embedded")
    if config.url:
        runtime = SmokeRuntime(config)
        try:
            finding = runtime.preflight()
        finally:
            runtime.close()
        if finding is not None:
            return _fail(finding.render(), options.report_json, config.url)
        options.url = config.url

    import pytest

    code = int(pytest.main(pytest_args(options, passthrough)))
    return PYTEST_EXIT_TO_VERDICT_EXIT.get(code, 2)


if __name__ == "__main__":
    raise SystemExit(main())

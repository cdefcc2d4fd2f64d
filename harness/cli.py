"""`python -m harness [URL] [options] [-- pytest args]`, plus `init`, `schema` and `probe`.

The options are the pytest plugin's own (harness.config.options); this module only adds the
positional URL and chooses how to run: directly (the default: the engine, then the reports),
or through pytest when pytest's outputs are asked for (--junitxml, --alluredir, `-- ARGS`).

May import: commands, config, contract, engine, history, process, pytest_run, reports, sanitize,
watch, __version__.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from harness import __version__
from harness.config import ConfigError, resolve
from harness.config.options import GROUPS, OPTIONS
from harness.contract import ContractError
from harness.history import HistoryError
from harness.reports.history import check_history

PYTEST_OUTPUTS = ("junitxml", "alluredir")


class Parser(argparse.ArgumentParser):
    """argparse, whose errors are one line (a mistyped option names the closest one) and
    exit 2."""

    def error(self, message: str) -> NoReturn:
        if message.startswith("unrecognized arguments: "):
            message = "; ".join(self.unknown_option(arg)
                                for arg in message.split(": ", 1)[1].split())
        raise SystemExit(_fail(message, None))

    def unknown_option(self, arg: str) -> str:
        flag = arg.split("=", 1)[0]
        close = difflib.get_close_matches(flag, self._option_string_actions, n=1, cutoff=0.75)
        hint = f": did you mean {close[0]}?" if close and flag.startswith("-") else \
            " (python -m harness --help lists the options)"
        return f"unrecognized argument {arg}{hint}"


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="python -m harness",
        description="Check a gateway + Socket.IO messaging platform against its contract. "
                    "Without a URL it runs against the embedded reference stack. Other "
                    "commands: `init URL` writes a starting contract, `schema` prints the "
                    "contract's JSON Schema, `probe socketio URL` shows one Engine.IO exchange, "
                    "`history [URL]` lists the runs this machine made, `token KIND` prints a bad "
                    "token as a run sends it, `watch URL|ngrok` verifies after every restart.",
        epilog="Exit codes: 0 pass, 1 a contract failed, 2 inconclusive (rate limit, rejected "
               "credentials, interrupted) or error (unreachable, bad configuration). Arguments "
               "after -- go to pytest (e.g. -- -n 2 -k health).")
    parser.add_argument("url", nargs="?", help="the gateway's base URL (same as --target-url)")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="list every failed check with its message")
    parser.add_argument("--version", action="version", version=f"smoke-harness {__version__}")
    groups = {key: parser.add_argument_group(title) for key, title in GROUPS.items()}
    for option in OPTIONS:
        groups[option.group].add_argument(*option.flags, **option.kwargs())
    outputs = parser.add_argument_group("pytest outputs (the run goes through pytest)")
    outputs.add_argument("--junitxml", metavar="PATH", help="JUnit XML for CI")
    outputs.add_argument("--alluredir", metavar="DIR", help="Allure results")
    return parser


def _fail(message: str, report_json: str | None) -> int:
    from harness.sanitize.escape import escape_control

    print(f"smoke-harness: {escape_control(message)}", file=sys.stderr)
    print("VERDICT: ERROR (exit 2)", file=sys.stderr)
    from harness.reports.outputs import unwritable

    if report_json and unwritable(report_json) is None:
        from harness.reports.document import write_json

        write_json(report_json, {"verdict": "error", "error": escape_control(message),
                                 "target": None, "checks": [], "root_causes": [],
                                 "not_tested": [], "requests_sent": 0})
    return 2


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["watch"]:
        from harness.watch.command import main as watch

        return watch(argv[1:])
    if argv[:1] in (["init"], ["schema"], ["probe"], ["history"], ["token"]):
        from harness.commands import run_command

        return run_command(argv)
    passthrough: list[str] = []
    if "--" in argv:
        split = argv.index("--")
        argv, passthrough = argv[:split], argv[split + 1:]
    options = build_parser().parse_args(argv)
    values: dict[str, Any] = vars(options)
    if options.url:
        if options.target_url:
            return _fail("configuration error: give the URL once (positional or --target-url)",
                         options.report_json)
        values["target_url"] = options.url
    from harness.engine import plan_run
    from harness.reports.outputs import check_outputs

    try:
        config = resolve(values)
        check_history(config)
        if not options.show_plan:
            check_outputs(config, values)
        planned = plan_run(config, _say)
    except (ConfigError, ContractError, HistoryError) as exc:
        return _fail(f"configuration error: {exc}", options.report_json)
    if options.show_plan:
        from harness.reports.plan_text import show_plan

        print(show_plan(config, planned))
        return 0
    for warning in config.warnings:
        print(f"smoke-harness: warning: {warning}", file=sys.stderr)
    passthrough, dropped = without_xdist(passthrough)
    if dropped:
        print(f"smoke-harness: note: {' '.join(dropped)} ignored: the harness already sends "
              "every probe concurrently in one process; pytest-xdist workers would only add "
              "their start-up", file=sys.stderr)
    if passthrough or any(values.get(name) for name in PYTEST_OUTPUTS):
        from harness.pytest_run import run_through_pytest

        return run_through_pytest(config, values, passthrough, planned)
    return run_direct(config, verbose=options.verbose, planned=planned)


XDIST_OPTIONS = ("-n", "--numprocesses", "--dist", "--maxprocesses", "--tx", "-d")


def without_xdist(args: Sequence[str]) -> tuple[list[str], list[str]]:
    """pytest arguments without pytest-xdist's (and their values), and those removed."""
    kept: list[str] = []
    dropped: list[str] = []
    skip_value = False
    for arg in args:
        if skip_value:
            dropped.append(arg)
            skip_value = False
        elif arg in XDIST_OPTIONS:
            dropped.append(arg)
            skip_value = arg != "-d"
        elif arg.split("=", 1)[0] in XDIST_OPTIONS or (arg.startswith("-n") and len(arg) > 2):
            dropped.append(arg)
        else:
            kept.append(arg)
    return kept, dropped


def _say(line: str) -> None:
    print(f"smoke-harness: {line}", file=sys.stderr, flush=True)


def run_direct(config: Any, verbose: bool = False, planned: Any = None) -> int:
    """The engine (on the plan `main` made), then the reports; SIGTERM/SIGHUP end the run like
    Ctrl-C."""
    from harness.engine import run
    from harness.process.signals import interrupts_as_keyboard_interrupt
    from harness.reports.present import present

    def progress(sent: dict[str, int], planned: dict[str, int]) -> None:
        parts = [f"{suite} {sent.get(suite, 0)}/{total}"
                 for suite, total in sorted(planned.items())]
        sys.stderr.write(f"\rprobing: {', '.join(parts)} requests ")
        sys.stderr.flush()

    on_tty = sys.stderr.isatty()
    with interrupts_as_keyboard_interrupt():
        result = run(config, say=_say, progress=progress if on_tty else None,
                     planned=planned)
    if on_tty:
        sys.stderr.write("\r\x1b[K")
    try:
        return present(result, verbose=verbose)
    except ValueError as exc:
        return _fail(str(exc), None)


if __name__ == "__main__":
    raise SystemExit(main())

"""`python -m harness watch URL|ngrok [options]`: the run's options plus `--every DURATION`;
`--compose-file FILE` names a running compose project to watch for restarts (it is not
started). Bad input is one line on stderr and exit 2."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from harness.config import ConfigError, resolve
from harness.config.options import OPTIONS
from harness.contract import ContractError
from harness.history import HistoryError
from harness.reports.history import check_history
from harness.reports.outputs import check_outputs
from harness.sanitize.escape import escape_control
from harness.watch.duration import parse_duration
from harness.watch.loop import Watch, WatchError, WatchOptions

NOT_FOR_WATCH = {"hermetic": "--hermetic", "faults": "--fault", "show_plan": "--plan",
                 "compose_gateway": "--compose-gateway", "compose_port": "--compose-port",
                 "wait_until_healthy": "--wait-until-healthy"}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise SystemExit(fail(message))


def fail(message: str) -> int:
    print(f"smoke-harness watch: {escape_control(message)}", file=sys.stderr)
    return 2


def _duration(text: str) -> float:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m harness watch",
                     description="Wait for a change of the target (a restart its health tells, "
                                 "a service log's new start line, a new ngrok URL, a compose "
                                 "service restarted, --every), verify it, print what changed "
                                 "since the previous run; Ctrl-C ends it with the last "
                                 "verdict's exit code.")
    parser.add_argument("url", nargs="?", help="the gateway's base URL, or `ngrok`")
    parser.add_argument("--every", type=_duration, metavar="DURATION",
                        help="also run every DURATION (90s, 5m, 1h)")
    for option in OPTIONS:
        kwargs = option.kwargs()
        if option.dest == "compose_file":
            kwargs["help"] = "a running compose project whose services' restarts are changes " \
                "(watch does not start it)"
        parser.add_argument(*option.flags, **kwargs)
    return parser


def main(argv: Sequence[str]) -> int:
    options = build_parser().parse_args(list(argv))
    values: dict[str, Any] = vars(options)
    given = [flag for dest, flag in NOT_FOR_WATCH.items() if values.get(dest)]
    if given:
        return fail(f"{given[0]} does not apply to watch: it watches a running target "
                    "(a URL or ngrok)")
    if options.url and options.target_url:
        return fail("give the URL once (positional or --target-url)")
    values["target_url"] = options.url or options.target_url
    compose_file = values.pop("compose_file", None)
    values["compose_file"] = None
    try:
        config = resolve(values)
        if config.stack not in ("url", "ngrok"):
            raise ConfigError("watch needs a target: a URL, or `ngrok` (the local agent's "
                              "tunnel)")
        check_history(config)
        check_outputs(config, values)
        if compose_file and not Path(compose_file).is_file():
            raise ConfigError(f"--compose-file: no such file: {compose_file}")
        watch = Watch(config, WatchOptions(options.every, compose_file))
        return watch.watch()
    except (ConfigError, ContractError, HistoryError, WatchError) as exc:
        return fail(f"configuration error: {exc}")

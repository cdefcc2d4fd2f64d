"""Commands beside the run: `init` (a starting contract for a live target), `schema` (the
contract's JSON Schema; `--report`: the report document's), `probe socketio` (one raw
Engine.IO exchange, for reproducing), `history` (the runs this machine made) and `token KIND`
(a bad token as the run sends it, for a reproduce line).
They send through the same probe client as a run and read answers in the judge's normal form;
they never give a verdict.

May import: _bundled, config, contract, history, judge, probes, records, reports, sanitize.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from harness.config.options import in_range
from harness.records.forgery import FORGERIES


def run_command(argv: Sequence[str]) -> int:
    name, rest = argv[0], list(argv[1:])
    if name == "schema":
        from harness.commands.schema import print_schema

        return print_schema(report="--report" in rest)
    parser = argparse.ArgumentParser(prog=f"python -m harness {name}")
    if name == "history":
        parser.add_argument("url", nargs="?", help="only the runs against this target (a URL, "
                            "a --target-name, ngrok:TUNNEL, embedded, hermetic, compose:FILE)")
        parser.add_argument("--history", metavar="PATH", help="the history database (default: "
                            "$XDG_STATE_HOME/smoke-harness/history.sqlite)")
        parser.add_argument("--limit", type=in_range(int, "N"), default=20, metavar="N")
        options = parser.parse_args(rest)
        from harness.commands.history import list_runs

        return list_runs(options.url, options.history, options.limit)
    if name == "token":
        parser.add_argument("kind", choices=FORGERIES, help="the forgery of $SMOKE_TOKEN to "
                            "print (expired: signed with $SMOKE_JWT_SECRET)")
        from harness.commands.token import print_token

        return print_token(parser.parse_args(rest).kind)
    if name == "init":
        parser.add_argument("url", help="the live gateway to describe")
        parser.add_argument("-o", "--output", metavar="FILE",
                            help="write the contract here (default: standard output)")
        parser.add_argument("--timeout", type=in_range(float, "SECONDS"), default=5.0,
                            metavar="SECONDS")
        parser.add_argument("--service", metavar="URL", help="the messaging service's own URL, "
                            "tried for Socket.IO when the gateway does not proxy it")
        options = parser.parse_args(rest)
        from harness.commands.init import init_contract

        return init_contract(options.url, options.output, options.timeout, options.service)
    parser.add_argument("kind", choices=["socketio"])
    parser.add_argument("url", help="the gateway (or Socket.IO server) base URL")
    parser.add_argument("--path", default="/socket.io/", help="the Socket.IO path")
    parser.add_argument("--timeout", type=in_range(float, "SECONDS"), default=5.0,
                        metavar="SECONDS")
    parser.add_argument("--transport", choices=["polling", "websocket"], default="polling",
                        help="polling: the handshake, then the upgrade; websocket: a websocket "
                        "opened directly (a server that takes websockets only)")
    options = parser.parse_args(rest)
    from harness.commands.probe import probe_socketio

    try:
        return probe_socketio(options.url, options.path, options.timeout, options.transport)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 2

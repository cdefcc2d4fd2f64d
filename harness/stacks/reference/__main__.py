"""`python -m harness.stacks.reference`: run the reference stack (or one service) by hand."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from dataclasses import replace

from harness.stacks.reference.faults import FAULTS, parse_faults
from harness.stacks.reference.gateway import Gateway
from harness.stacks.reference.settings import ReferenceSettings
from harness.stacks.reference.stack import (
    LOG_FORMAT,
    ReferenceStack,
    ServerGroup,
    bind,
    build_messaging,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m harness.stacks.reference",
                                     description="Run the embedded reference stack by hand.")
    parser.add_argument("--role", choices=("both", "messaging", "gateway"), default="both",
                        help="both services (default), or one of them (for containers)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0,
                        help="port of the gateway (role both/gateway) or messaging service")
    parser.add_argument("--messaging-port", type=int, default=0, help="role both only")
    parser.add_argument("--messaging-url", help="role gateway: where the messaging service is")
    parser.add_argument("--fault", action="append", default=[], choices=sorted(FAULTS),
                        metavar="NAME", help=f"switch on a fault: {', '.join(sorted(FAULTS))}")
    return parser


def _wait_for_signal() -> None:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()


def main(argv: Sequence[str] | None = None) -> int:
    options = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT, stream=sys.stdout)
    try:
        settings = ReferenceSettings.from_env()
        settings = replace(settings, faults=settings.faults | parse_faults(options.fault))
    except ValueError as exc:
        print(f"reference: {exc}", file=sys.stderr)
        return 2
    if options.role == "both":
        stack = ReferenceStack(settings=settings, host=options.host, gateway_port=options.port,
                               messaging_port=options.messaging_port).start()
        print(f"reference stack: gateway {stack.url}  messaging {stack.messaging_url}", flush=True)
        print(f"login: {settings.username}, with the password in REFERENCE_PASSWORD "
              "(set it before starting; a random one is used otherwise)", flush=True)
        _wait_for_signal()
        print(f"reference stack: stopped after {stack.requests_received} requests", flush=True)
        stack.stop()
        return 0
    if options.role == "gateway" and not options.messaging_url:
        print("reference: --role gateway needs --messaging-url", file=sys.stderr)
        return 2
    group = ServerGroup()
    sock = bind(options.host, options.port)
    port = sock.getsockname()[1]
    if options.role == "messaging":
        group.serve(group.run(build_messaging(settings)), sock)
        group.wait_started()
        logging.getLogger("reference").info("Messaging Service running on port %d", port)
    else:
        group.serve(Gateway(settings, options.messaging_url), sock)
        group.wait_started()
        logging.getLogger("reference").info("API gateway running on port %d, proxying to %s",
                                            port, options.messaging_url)
    _wait_for_signal()
    group.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

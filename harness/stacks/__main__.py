"""`python -m harness.stacks`: start a hermetic or compose stack, print its URL, hold, stop.

Owns a small entry point for trying a stack by hand and for the signal tests: it runs under
`interrupts_as_keyboard_interrupt()` like the harness does, so SIGINT, SIGTERM and SIGHUP all end
it through the stacks' `stop()`. Exit 0 after a hold, 2 when the start failed, 130 on a signal.
"""

from __future__ import annotations

import argparse
import sys
import time

from harness.config.options import in_range
from harness.process import signals
from harness.stacks.docker import HermeticError, ServiceStartFailed


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m harness.stacks", description=__doc__)
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--hermetic", action="store_true", help="the reference platform")
    which.add_argument("--compose-file", help="a compose project (with --compose-gateway)")
    parser.add_argument("--compose-gateway", help="the compose service of the gateway")
    parser.add_argument("--compose-port", type=in_range(int, "PORT"),
                        help="the gateway's container port")
    parser.add_argument("--fault", action="append", default=[], help="hermetic: a fault")
    parser.add_argument("--start-timeout", type=in_range(float, "SECONDS"), default=120.0,
                        help="seconds")
    parser.add_argument("--hold", type=float, default=0.0, help="seconds to keep it up")
    parser.add_argument("--crash", action="store_true",
                        help="raise an unexpected error after the start (a harness crash)")
    return parser


def main(argv: list[str] | None = None) -> int:
    options = _parser().parse_args(argv)

    def say(text: str) -> None:
        print(text, flush=True)

    with signals.interrupts_as_keyboard_interrupt():
        stack = None
        try:
            if options.hermetic:
                from harness.stacks.hermetic import HermeticStack
                stack = HermeticStack(options.fault, say=say,
                                      start_timeout_s=options.start_timeout)
            else:
                from harness.stacks.compose import ComposeStack
                if not options.compose_gateway:
                    raise HermeticError("--compose-file needs --compose-gateway SERVICE")
                stack = ComposeStack(options.compose_file, options.compose_gateway,
                                     options.compose_port, say=say,
                                     start_timeout_s=options.start_timeout)
            stack.start()
            say(f"URL {stack.url}")
            if options.crash:
                raise RuntimeError("simulated harness crash")
            time.sleep(options.hold)
        except ServiceStartFailed as exc:
            say(f"service-start-failed: {exc.service} (exit code {exc.exit_code})\n{exc}")
            return 2
        except HermeticError as exc:
            say(f"start failed: {exc}")
            return 2
        except KeyboardInterrupt as exc:
            say(f"interrupted ({exc or 'SIGINT'})")
            return 130
        finally:
            if stack is not None:
                stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

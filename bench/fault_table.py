"""Every fault of the reference stack and the healthy stack: exit code and first root cause.

Runs each in-process against the embedded stack (with the contract a fault needs) and prints a
Markdown table. Run from the repository root:

    python bench/fault_table.py
"""

from __future__ import annotations

from harness.config import resolve
from harness.engine import run
from harness.stacks.reference.faults import FAULTS

CONTRACTS = {"idor-user-route": "fixtures/contracts/user-routes.yaml",
             "profile-leaks-email": "fixtures/contracts/user-routes.yaml",
             "double-notify": "fixtures/contracts/notifications.yaml"}
# variants that need their own contract to be green, a fault that needs socketio.url, and
# one that needs GET /api/messages with its query (tests/test_handler_404.py shows it)
NEEDS_MORE = {"join-confirm-event", "event-names-variant", "messages-need-query",
              "websocket-only-server", "cookie-auth", "message-via-socket", "socket-direct",
              "broadcast-skips-sender", "socket-service-down", "messages-unchecked-404"}


def main() -> None:
    print("| fault | exit | first root cause |\n| --- | --- | --- |")
    for fault in ["(healthy)", *FAULTS]:
        if fault in NEEDS_MORE:
            continue
        values: dict[str, object] = {} if fault == "(healthy)" else {"faults": [fault]}
        if fault in CONTRACTS:
            values["contract"] = CONTRACTS[fault]
        result = run(resolve(values, env={}), say=lambda line: None)
        first = result.root_causes[0] if result.root_causes else None
        named = "-" if first is None else first.cause.code + (
            f" ({first.dependency})" if first.dependency else "")
        print(f"| {fault} | {result.verdict.exit_code} | {named} |", flush=True)


if __name__ == "__main__":
    main()

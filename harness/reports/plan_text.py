"""`--plan`: the checks and probes a run would make, and its request count; sends nothing."""

from __future__ import annotations

from typing import Any

from harness.config import RunConfig
from harness.judge.kinds import node_id
from harness.records.keys import AUTH_VARIANT_FAILED
from harness.reports.terminal import plural


def show_plan(config: RunConfig, planned: Any = None) -> str:
    """The run's one plan (`planned`, else made as the run makes it: from what its stack will
    provide)."""
    from harness.engine import plan_run, within_ledger, within_max_requests

    prepared, whole = planned or plan_run(config, lambda _line: None)
    capped = within_max_requests(config, whole)
    notes: list[str] = []
    plan, _caps = within_ledger(config, capped, notes)
    where = config.url + config.base_path if config.url else f"http://({prepared.label})"
    per_suite = ", ".join(f"{suite} {n}" for suite, n in sorted(plan.by_suite().items()))
    within = [f"--max-requests {config.max_requests}"] if capped is not whole else []
    if plan is not capped:
        within.append("what the request ledger leaves of the contract's rate limits")
    budget = f" within {' and '.join(within)} (the whole plan: {whole.request_count})" \
        if within else ""
    lines = [f"plan against {where}: {plural(len(plan.checks), 'check')}, "
             f"{plural(plan.request_count, 'request')} ({per_suite}){budget}"]
    lines += [f"note: {note}" for note in notes]
    lines.append("")
    lines.append("requests, in the order they are sent:")
    for number, request in enumerate(plan.http, start=1):
        auth = " [valid credential]" if request.auth == "valid" else ""
        lines.append(f"  {number:>3}. {request.method} {request.path}{auth}  "
                     f"({request.label or request.key})")
    for number, session in enumerate(plan.sessions, start=len(plan.http) + 1):
        opening = "open (websocket only)" if session.transport.startswith("websocket-") \
            else "upgrade"
        steps = [opening, *[f"CONNECT {v}" for v in session.refusals]]
        if session.connect:
            steps.append("CONNECT with the token")
        if session.realtime:
            steps += ["join", "post", f"await {config.contract.socketio.message_event}"]
        lines.append(f"  {number:>3}. Socket.IO session over {session.transport} "
                     f"({plural(session.requests, 'request')}): {', '.join(steps)}")
    lines.append("")
    lines.append("checks:")
    for check in plan.checks:
        why = f"  -- not tested: {plan.left_out[check.key]}" if check.key in plan.left_out else ""
        lines.append(f"  {node_id(check)}{why}")
    auth = [f for f in plan.follow_ups if f.when.startswith(AUTH_VARIANT_FAILED)]
    if auth:
        lines.append("")
        socket = ", a handshake without Origin, a polling session when the upgrade fails" \
            if config.contract.socketio.polling else ""
        lines.append(f"only if a check asks for them: up to {len(auth)} more auth "
                     f"probes (the variant that failed, on every route){socket}, one quiet "
                     "re-measurement per slow health route")
    return "\n".join(lines)
